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

    // The provider is linked as a fixed-position executable, as Go links Terraform providers
    // (DigitalOcean's among them): the dynamic loader then has no 9,500 relocations to apply
    // and no relocated tables to copy at every start, which Terraform pays on every command
    // (about 0.4 MiB of memory and a tenth of the start-up time). Only Linux on x86-64, where
    // the code is position-independent either way and `-no-pie` is understood.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target == "x86_64-unknown-linux-gnu" {
        println!("cargo:rustc-link-arg-bin=terraform-provider-dbaas=-no-pie");
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
