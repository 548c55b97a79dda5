(globalThis as { startMark?: (name: string) => void }).startMark?.('modules: zod loaded');
