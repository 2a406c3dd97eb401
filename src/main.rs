//! The provider plugin. Terraform starts it, reads the handshake line from stdout and talks
//! gRPC (plugin protocol 6) to it.

use dbaas::framework::stop::request_stop;
use dbaas::provider::DbaasProvider;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // tf-provider appends a Rust backtrace to every diagnostic when backtraces are enabled
    // for `Backtrace::capture`; users must never see one. Panics keep RUST_BACKTRACE.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // tf-provider installs its own global tracing subscriber when PLUGIN_LOG_FILE is set and
    // panics if one exists already; our logs go to stderr where Terraform expects them.
    std::env::remove_var("PLUGIN_LOG_FILE");
    dbaas::logging::init();

    // Ctrl-C in a terminal reaches the whole process group. Terraform handles the interrupt
    // and asks us to stop; dying here would lose the objects being created.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            request_stop();
        }
    });

    tf_provider::serve("dbaas", DbaasProvider::default()).await
}
