//! Nothing of the local stack listens beyond this machine: every TCP socket
//! its processes listen on is bound to 127.0.0.1. The emulators check no
//! credentials, so an address such as 0.0.0.0 or `::` would open the
//! tables, queues, mail and secrets to the network.
//!
//! The stack's processes are the ones `dev` records in its pid file (each
//! the leader of its process group), everything they started, and `dev`
//! itself (the queue poller and the schedules run in it). Their listening
//! sockets are found by inode, from `/proc/net/tcp{,6}` and `/proc/<pid>/fd`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test runs against the local stack; run it with `make test`")
    })
}

#[derive(Debug, Clone, PartialEq)]
struct Listener {
    address: IpAddr,
    port: u16,
    inode: u64,
}

/// An address of `/proc/net/tcp` (`0100007F:1F40`) or `/proc/net/tcp6`: the
/// address's 32-bit words are printed in host byte order.
fn parse_address(text: &str) -> Option<(IpAddr, u16)> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for i in (0..address.len()).step_by(8) {
        let word = u32::from_str_radix(address.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let address = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some((address, port))
}

/// The listening sockets in a `/proc/net/tcp{,6}` table.
fn parse_listeners(table: &str) -> Vec<Listener> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&LISTEN) {
                return None;
            }
            let (address, port) = parse_address(fields.get(1)?)?;
            let inode = fields.get(9)?.parse().ok()?;
            Some(Listener {
                address,
                port,
                inode,
            })
        })
        .collect()
}

/// 127.0.0.1, also as a v4-mapped address of a dual-stack socket (Java's).
fn is_loopback_v4(address: &IpAddr) -> bool {
    let v4 = match address {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    v4 == Some(Ipv4Addr::LOCALHOST)
}

/// (parent, process group, command name) of `pid`, from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(u32, u32, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is in parentheses and may hold spaces or parentheses itself.
    let (head, rest) = text.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_owned();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some((
        fields.get(1)?.parse().ok()?,
        fields.get(2)?.parse().ok()?,
        name,
    ))
}

/// Every process, as pid → (parent, process group, command name).
fn processes() -> BTreeMap<u32, (u32, u32, String)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .collect()
}

/// The inodes of the sockets `pid` has open.
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.filter_map(|fd| {
        let target = std::fs::read_link(fd.ok()?.path()).ok()?;
        target
            .to_str()?
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    })
    .collect()
}

/// The process groups `dev` started, from the stack's pid file.
fn recorded_pids(stack_dir: &Path) -> Vec<u32> {
    let file = stack_dir.join("pids");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (is the stack running?)", file.display()));
    text.lines()
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The stack's processes: the recorded ones, their descendants and group
/// members, and their parent, `dev`.
fn stack_processes(
    recorded: &[u32],
    all: &BTreeMap<u32, (u32, u32, String)>,
) -> BTreeMap<u32, String> {
    let mut stack: BTreeSet<u32> = recorded
        .iter()
        .copied()
        .filter(|pid| all.contains_key(pid))
        .collect();
    stack.extend(
        all.iter()
            .filter(|(_, (_, group, _))| recorded.contains(group))
            .map(|(pid, _)| *pid),
    );
    // Descendants, until a pass adds none.
    loop {
        let before = stack.len();
        let children: Vec<u32> = all
            .iter()
            .filter(|(pid, (parent, _, _))| stack.contains(parent) && !stack.contains(pid))
            .map(|(pid, _)| *pid)
            .collect();
        stack.extend(children);
        if stack.len() == before {
            break;
        }
    }
    // `dev` only: its other children are the tests.
    stack.extend(recorded.iter().filter_map(|pid| Some(all.get(pid)?.0)));
    stack
        .into_iter()
        .filter_map(|pid| Some((pid, all.get(&pid)?.2.clone())))
        .collect()
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|port| port.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("{url} names no port"))
}

#[test]
fn proc_net_tcp_addresses_parse() {
    let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   \
              0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n   \
              1: 00000000:13EC 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 100 0 0 10 0\n   \
              2: 0100007F:1F40 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 20 4 30 10 -1\n";
    let listeners = parse_listeners(v4);
    // Host byte order: the words read back as the addresses on this machine.
    let loopback = u32::from_ne_bytes([127, 0, 0, 1]);
    assert_eq!(
        parse_address(&format!("{loopback:08X}:1F40")),
        Some((IpAddr::V4(Ipv4Addr::LOCALHOST), 8000))
    );
    assert_eq!(listeners.len(), 2, "{listeners:?}");
    assert_eq!(listeners[1].address, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    assert_eq!((listeners[1].port, listeners[1].inode), (5100, 4343));

    let mapped: String = [0u32, 0, u32::from_ne_bytes([0, 0, 0xff, 0xff]), loopback]
        .iter()
        .map(|w| format!("{w:08X}"))
        .collect();
    let (address, port) = parse_address(&format!("{mapped}:2396")).unwrap();
    assert_eq!(port, 9110);
    assert!(is_loopback_v4(&address), "{address}");
    let any = parse_address(&format!("{}:2396", "0".repeat(32)))
        .unwrap()
        .0;
    assert_eq!(any, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    assert!(!is_loopback_v4(&any));
    assert!(!is_loopback_v4(&IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert!(!is_loopback_v4(&IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
}

#[test]
fn every_process_of_the_stack_listens_on_127_0_0_1_only() {
    let stack_dir = env("FERROCART_STACK_DIR");
    let api = env("FERROCART_API_URL");
    let recorded = recorded_pids(Path::new(&stack_dir));
    assert!(!recorded.is_empty(), "no processes in {stack_dir}/pids");
    let stack = stack_processes(&recorded, &processes());

    let mut listeners = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        listeners.extend(parse_listeners(&text));
    }
    let mut owned: Vec<(u32, &str, &Listener)> = Vec::new();
    for (pid, name) in &stack {
        let inodes = socket_inodes(*pid);
        for listener in listeners.iter().filter(|l| inodes.contains(&l.inode)) {
            owned.push((*pid, name, listener));
        }
    }
    let described: Vec<String> = owned
        .iter()
        .map(|(pid, name, l)| {
            let address = SocketAddr::new(l.address, l.port);
            format!("{name} (pid {pid}) on {address}")
        })
        .collect();
    println!("the stack's listening sockets: {described:#?}");

    // The endpoints the stack hands its clients must be among them, or the
    // processes were not found and nothing was checked.
    let mut expected = vec![("the API", port_of(&api))];
    for (what, var) in [
        ("DynamoDB Local", "AWS_ENDPOINT_URL_DYNAMODB"),
        ("moto", "AWS_ENDPOINT_URL_SQS"),
    ] {
        // Unset when the stack uses external services instead (AWS_ENDPOINT_URL).
        if let Ok(url) = std::env::var(var) {
            expected.push((what, port_of(&url)));
        }
    }
    for (what, port) in expected {
        assert!(
            owned.iter().any(|(_, _, l)| l.port == port),
            "{what} (port {port}) is not among the stack's listening sockets: {described:#?}"
        );
    }
    let elsewhere: Vec<&String> = owned
        .iter()
        .zip(&described)
        .filter(|((_, _, l), _)| !is_loopback_v4(&l.address))
        .map(|(_, d)| d)
        .collect();
    assert!(
        elsewhere.is_empty(),
        "listening beyond 127.0.0.1: {elsewhere:#?} (all: {described:#?})"
    );
}
