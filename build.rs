//! Generates the gRPC code for the Terraform plugin protocol (and the
//! go-plugin and health services it runs beside) from `proto/`.
//!
//! `protox` parses the `.proto` files in pure Rust and ships Google's
//! well-known types, so building needs no `protoc` and no protobuf headers.

use std::error::Error;

const PROTOS: &[&str] = &[
    "tfplugin6.proto",
    "plugin/grpc_controller.proto",
    "plugin/grpc_stdio.proto",
    "plugin/grpc_broker.proto",
    "health.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=proto");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=proto/{proto}");
    }

    let fds = protox::compile(PROTOS, ["proto"])?;

    // Servers for the provider itself; clients for the protocol tests, which
    // drive the built binary the way Terraform does. `google.protobuf` types
    // map to `prost_types` (and `Empty` to `()`), the default when
    // well-known types are not compiled.
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_well_known_types(false)
        .compile_fds(fds)?;
    Ok(())
}
