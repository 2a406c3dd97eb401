//! Work in progress: the API object of this group of operations.
