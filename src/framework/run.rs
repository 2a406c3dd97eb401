//! What kind of Terraform run started this provider process.
//!
//! `terraform destroy` (like `plan -destroy` and `apply -destroy`) first plans the
//! configuration in normal mode to refresh the state (Terraform calls it the pre-destroy
//! refresh), and fails the whole destroy when that plan reports an error. The protocol says
//! nothing about it: the PlanResourceChange request is the same as in `terraform plan`. So a
//! check that only concerns a change (storage cannot shrink, partitions cannot be removed)
//! would block the destroy of a configuration that was edited that way, and no DELETE would be
//! sent. The provider therefore looks at the command line of the Terraform process that
//! started it (its parent) and at the `TF_CLI_ARGS*` variables it inherited from it; in a
//! destroy run, the adapters drop the errors of create and update plans, whose results
//! Terraform discards anyway. Where the command line cannot be read (no `/proc`), the checks
//! stay errors and `terraform destroy -refresh=false` skips that plan.

use std::sync::OnceLock;

/// Whether this process serves a `destroy` run (`terraform destroy`, `plan -destroy`,
/// `apply -destroy`, or OpenTofu's equivalents). Read once.
pub fn destroying() -> bool {
    static DESTROYING: OnceLock<bool> = OnceLock::new();
    *DESTROYING.get_or_init(|| {
        let args = parent_args().unwrap_or_default();
        let env = |name: &str| std::env::var(name).ok();
        let destroying = is_destroy_run(&args, env);
        if destroying {
            tracing::debug!("destroy run: create and update plans report no errors");
        }
        destroying
    })
}

/// The parent process's arguments after the program name, where the platform exposes them.
fn parent_args() -> Option<Vec<String>> {
    #[cfg(target_os = "linux")]
    {
        let parent = std::os::unix::process::parent_id();
        let raw = std::fs::read(format!("/proc/{parent}/cmdline")).ok()?;
        Some(
            raw.split(|byte| *byte == 0)
                .skip(1)
                .filter(|arg| !arg.is_empty())
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect(),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Whether Terraform's arguments `args` (without the program name), with the `TF_CLI_ARGS`
/// variables from `env`, ask for a destroy.
pub fn is_destroy_run(args: &[String], env: impl Fn(&str) -> Option<String>) -> bool {
    // Global options (`-chdir=…`, `-help`) come before the subcommand.
    let Some(position) = args.iter().position(|arg| !arg.starts_with('-')) else {
        return false;
    };
    let command = args[position].as_str();
    match command {
        "destroy" => true,
        "plan" | "apply" => {
            let extra = [env("TF_CLI_ARGS"), env(&format!("TF_CLI_ARGS_{command}"))];
            let from_env: Vec<String> = extra
                .iter()
                .flatten()
                .flat_map(|text| text.split_whitespace().map(str::to_string))
                .collect();
            args[position + 1..]
                .iter()
                .chain(from_env.iter())
                .any(|arg| is_destroy_flag(arg))
        }
        _ => false,
    }
}

fn is_destroy_flag(arg: &str) -> bool {
    let flag = arg.trim_start_matches('-');
    arg.starts_with('-') && (flag == "destroy" || flag.eq_ignore_ascii_case("destroy=true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn destroy_runs_are_recognised() {
        for destroy in [
            "destroy",
            "destroy -auto-approve -no-color",
            "-chdir=infra destroy",
            "apply -destroy",
            "apply -auto-approve -destroy",
            "plan -destroy -out=tfplan",
            "plan --destroy",
            "apply -destroy=true",
        ] {
            assert!(is_destroy_run(&args(destroy), none), "{destroy}");
        }
        for other in [
            "",
            "plan",
            "apply -auto-approve",
            "apply tfplan",
            "apply -destroy=false",
            "-chdir=destroy plan",
            "import dbaas_database_cluster.x destroy",
            "plan -var=mode=destroy",
            "validate",
        ] {
            assert!(!is_destroy_run(&args(other), none), "{other}");
        }
    }

    #[test]
    fn tf_cli_args_count_for_their_command() {
        let env = |name: &str| match name {
            "TF_CLI_ARGS_plan" => Some("-destroy -lock=false".to_string()),
            _ => None,
        };
        assert!(is_destroy_run(&args("plan"), env));
        assert!(!is_destroy_run(&args("apply"), env));
        let global = |name: &str| (name == "TF_CLI_ARGS").then(|| "-destroy".to_string());
        assert!(is_destroy_run(&args("apply -auto-approve"), global));
    }
}
