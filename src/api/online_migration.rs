//! Work in progress: the typed sub-API for this group of operations.
