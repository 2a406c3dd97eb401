//! The provider plugin. Terraform starts it, reads the handshake line from stdout and talks
//! gRPC (plugin protocol 6) to it.

use std::sync::Arc;

use dbaas::framework::context::ProviderData;
use dbaas::framework::stop::request_stop;
use dbaas::plugin::serve::{check_environment, serve};

fn main() -> std::process::ExitCode {
    if let Err(error) = check_environment() {
        eprintln!("{error}");
        return std::process::ExitCode::FAILURE;
    }
    dbaas::logging::init();
    // A panic is a bug; it must reach the user as a log line naming it, never as a silent exit
    // or a backtrace in a diagnostic.
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "terraform-provider-dbaas panicked; please report this bug");
        eprintln!("terraform-provider-dbaas panicked (a bug; please report it): {info}");
    }));
    // One thread: the provider waits on Terraform and the API, never on its own CPU, and a
    // thread pool (workers, their malloc arenas, the CPU-quota probe) would cost start-up time
    // and memory on every Terraform command. Blocking work (DNS lookups) still gets tokio's
    // blocking threads, started when first needed.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("terraform-provider-dbaas could not start its runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        // Ctrl-C in a terminal reaches the whole process group. Terraform handles the
        // interrupt and asks us to stop; dying here would lose the objects being created.
        tokio::spawn(async {
            while tokio::signal::ctrl_c().await.is_ok() {
                request_stop();
            }
        });
        let provider = dbaas::provider::provider(Arc::new(ProviderData::default()));
        serve(Arc::new(provider)).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("terraform-provider-dbaas: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
