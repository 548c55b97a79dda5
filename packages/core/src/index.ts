// Parallel, MapReduce and Scheduler are exported from here as they land (see README.md).
export {};
