//! In-memory adapters of the ports, for tests and the local CLI.
