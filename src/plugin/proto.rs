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

/// A module around one generated package, with the lint allowances generated code needs; one
/// list, so the packages cannot drift apart in what they allow.
macro_rules! generated {
    ($(#[$doc:meta])* $name:ident = $package:literal) => {
        $(#[$doc])*
        #[allow(
            clippy::all,
            clippy::pedantic,
            clippy::nursery,
            missing_docs,
            unreachable_pub,
            unused_qualifications,
            rustdoc::all
        )]
        pub mod $name {
            tonic::include_proto!($package);
        }
    };
}

generated! {
    /// Terraform plugin protocol 6.9 (package `tfplugin6`).
    tfplugin6 = "tfplugin6"
}

generated! {
    /// go-plugin's controller, stdio and broker services (package `plugin`).
    go_plugin = "plugin"
}

generated! {
    /// gRPC health checking (package `grpc.health.v1`).
    health = "grpc.health.v1"
}
