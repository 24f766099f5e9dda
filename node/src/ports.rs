//! A port the operator names is the port the node listens on, or the node does not start.
//!
//! Substrate is lenient where an operator would want to be told. With `--rpc-port` taken,
//! sc-cli moves RPC to a random free port without a word, and every client pointed at the
//! named port (polkadot.js, the gateway, the scripts) reaches whatever holds it: another node,
//! perhaps of another chain. With `--port` taken the network starts without listening (peers
//! cannot dial a validator that seems up), and with `--prometheus-port` taken metrics are off
//! after one log line. For the ports named on the command line, each is tried here first and a
//! taken one stops the node with a plain error; RPC never moves. Ports left at their defaults
//! keep Substrate's behaviour (RPC's log line "Running JSON-RPC server: addr=…" says where).

use sc_cli::RunCmd;
use sc_network::multiaddr::Protocol;
use sc_service::Configuration;
use std::{
	io::ErrorKind,
	net::{SocketAddr, TcpListener},
};

/// Which ports the command line named.
#[derive(Clone, Copy, Debug)]
pub struct Named {
	rpc: bool,
	p2p: bool,
	prometheus: bool,
}

impl Named {
	pub fn of(run: &RunCmd) -> Self {
		Self {
			rpc: run.rpc_params.rpc_port.is_some(),
			p2p: run.network_params.port.is_some() || !run.network_params.listen_addr.is_empty(),
			prometheus: run.prometheus_params.prometheus_port.is_some(),
		}
	}
}

/// Checks that every named port is free, and keeps RPC on its named port.
pub fn keep(config: &mut Configuration, named: Named) -> sc_cli::Result<()> {
	if named.rpc {
		for endpoint in config.rpc.addr.iter_mut().flatten() {
			endpoint.retry_random_port = false;
			// The IPv6 twin of the RPC address is optional: Substrate skips it if it cannot bind.
			if !endpoint.is_optional {
				free(endpoint.listen_addr, "RPC", "--rpc-port")?;
			}
		}
	}
	if named.p2p {
		for address in config.network.listen_addresses.iter().filter_map(tcp_address) {
			free(address, "peers", "--port")?;
		}
	}
	if named.prometheus {
		if let Some(prometheus) = &config.prometheus_config {
			free(prometheus.port, "Prometheus", "--prometheus-port")?;
		}
	}
	Ok(())
}

/// The IP address and TCP port of a listen address like `/ip4/0.0.0.0/tcp/30333`; `None` for
/// port 0 (any free port) and for other shapes.
fn tcp_address(address: &sc_network::Multiaddr) -> Option<SocketAddr> {
	let mut ip = None;
	for protocol in address.iter() {
		match protocol {
			Protocol::Ip4(a) => ip = Some(a.into()),
			Protocol::Ip6(a) => ip = Some(a.into()),
			Protocol::Tcp(port) if port != 0 => return ip.map(|ip| SocketAddr::new(ip, port)),
			_ => {}
		}
	}
	None
}

/// Binds `address` for a moment; says which flag to change when something else holds it (or
/// the port is one this user may not take). Other failures, such as IPv6 absent from the host,
/// are left to the service, which skips such an address as before.
fn free(address: SocketAddr, what: &str, flag: &str) -> sc_cli::Result<()> {
	match TcpListener::bind(address) {
		Err(e) if matches!(e.kind(), ErrorKind::AddrInUse | ErrorKind::PermissionDenied) => {
			Err(sc_cli::Error::Input(format!(
				"cannot listen for {what} on {address} ({e}): another node may be running \
				 there; stop it or choose another {flag}"
			)))
		}
		_ => Ok(()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tcp_addresses_of_listen_addresses() {
		let parse = |s: &str| tcp_address(&s.parse().expect("a multiaddr"));
		assert_eq!(parse("/ip4/0.0.0.0/tcp/30333"), Some("0.0.0.0:30333".parse().unwrap()));
		assert_eq!(parse("/ip6/::/tcp/30333/ws"), Some("[::]:30333".parse().unwrap()));
		assert_eq!(parse("/ip4/0.0.0.0/tcp/0"), None, "any free port");
		assert_eq!(parse("/ip4/127.0.0.1/udp/30333/quic-v1"), None, "not TCP");
	}

	#[test]
	fn a_taken_port_is_refused_and_named() {
		let taken = TcpListener::bind("127.0.0.1:0").unwrap();
		let address = taken.local_addr().unwrap();
		let error = free(address, "peers", "--port").unwrap_err().to_string();
		assert!(error.contains(&format!("cannot listen for peers on {address}")), "{error}");
		assert!(error.contains("--port"), "{error}");
		drop(taken);
		assert!(free(address, "peers", "--port").is_ok(), "free once released");
	}
}
