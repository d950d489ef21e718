//! Address policy: a configured *name* must not lead somewhere internal.
//!
//! An administrator who writes `host = "10.0.0.5"` or `host = "localhost"` means it. A
//! name like `mail.example.org` that suddenly resolves to `169.254.169.254` (a cloud
//! metadata service) or `10.0.0.1` is a DNS problem or an attack (DNS rebinding), and
//! connecting would turn the tunnel into a probe of the server's own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The resolved addresses a tunnel may connect to. `deliberate` says the configuration
/// itself points inside (an IP literal, `localhost`, or `allow_internal_address`).
pub fn permitted(resolved: &[SocketAddr], deliberate: bool) -> Vec<SocketAddr> {
    resolved
        .iter()
        .copied()
        .filter(|address| deliberate || !is_internal(address.ip()))
        .collect()
}

/// Whether `ip` belongs to a range that is not the public Internet.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(v6),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // includes 169.254.169.254, the usual metadata address
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, RFC 6598
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, includes fd00:ec2::254 (metadata)
        || (first & 0xffc0) == 0xfe80 // link-local
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_may_not_lead_inside_unless_deliberate() {
        let resolved: Vec<SocketAddr> = ["10.0.0.7:993", "93.184.216.34:993", "[fe80::1]:993"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(permitted(&resolved, false), vec![resolved[1]]);
        assert_eq!(permitted(&resolved, true), resolved);
        assert!(permitted(&resolved[..1], false).is_empty());
    }

    #[test]
    fn internal_ranges() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
