(globalThis as { startMark?: (name: string) => void }).startMark?.('modules: @cohort/core loaded');
