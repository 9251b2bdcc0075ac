"""Collections operations: dunning policy and runs, letters, statutory interest, promises and the worklist."""
