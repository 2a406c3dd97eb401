//! Generated gRPC bindings for the services a provider process serves.
//!
//! We compile our own copy of the definitions (`proto/`, via `build.rs`)
//! rather than lean on a provider SDK, so the protocol version we speak is
//! pinned and reviewable. Beside Terraform's own service, go-plugin (the
//! plugin host inside Terraform) expects its controller, stdio and broker
//! services and the standard gRPC health check. Clients are generated too, so
//! the protocol tests can drive the built binary as Terraform does.
//!
//! The lint allowances are for generated code only: keep hand-written code
//! out of this module.

/// Terraform plugin protocol 6.9 (package `tfplugin6`).
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    rustdoc::all
)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's controller, stdio and broker services (package `plugin`).
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    rustdoc::all
)]
pub mod go_plugin {
    tonic::include_proto!("plugin");
}

/// gRPC health checking (package `grpc.health.v1`).
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    missing_docs,
    unreachable_pub,
    unused_qualifications,
    rustdoc::all
)]
pub mod health {
    tonic::include_proto!("grpc.health.v1");
}
