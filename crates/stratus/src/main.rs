//! `stratus`: a local AWS cloud on one port.

mod app;
mod config;
mod hosts;
mod instance_roles;
mod lb_listen;
mod ops;
mod pipeline;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;

#[derive(Parser)]
#[command(name = "stratus", version, about = "A local AWS cloud in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (all services on one port).
    Serve(ServeArgs),
    /// Print /etc/hosts lines for buckets' REST and website host names.
    Hosts(hosts::HostsArgs),
    /// Inside an instance of the reduced runtime: joins its door and its
    /// metadata and API addresses to Stratus.
    #[command(hide = true)]
    InstanceRelay {
        ip: std::net::Ipv4Addr,
        metadata_socket: std::path::PathBuf,
        api_socket: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => server::run(args.into_config()),
        Command::Hosts(args) => match hosts::run(&args) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("stratus hosts: {e}");
                ExitCode::FAILURE
            }
        },
        Command::InstanceRelay {
            ip,
            metadata_socket,
            api_socket,
        } => match stratus_ec2::runtime::relay(ip, metadata_socket, api_socket) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("stratus instance-relay: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
