//! Who the client is, behind a reverse proxy.
//!
//! The address a connection comes from is the client's, unless it is one of the
//! `server.trusted_proxies`: then the proxy's `Forwarded` (RFC 7239) or, failing
//! that, `X-Forwarded-For` header says who it forwards for. The header is read from
//! the right: each trusted proxy appends the address it received from, so the first
//! address from the right that is not a trusted proxy is the client. From anyone
//! else, these headers are ignored: a client cannot pick its own address to escape
//! the per-address limits or to blame another in the logs.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// An address range: an IP address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl AddressRange {
    /// `192.0.2.7`, `10.0.0.0/8`, `::1`, `2001:db8::/32`.
    pub fn parse(text: &str) -> Option<AddressRange> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(AddressRange { network, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let mask = |bits: u32, width: u32| -> u128 {
            if bits == 0 {
                0
            } else {
                (u128::MAX << (width - bits)) & (u128::MAX >> (128 - width))
            }
        };
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = mask(u32::from(self.prefix), 32);
                u128::from(u32::from(network)) & mask == u128::from(u32::from(address)) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = mask(u32::from(self.prefix), 128);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<AddressRange>);

impl TrustedProxies {
    pub fn new(ranges: Vec<AddressRange>) -> TrustedProxies {
        TrustedProxies(ranges)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// The client's address for a connection from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_for(headers).or_else(|| x_forwarded_for(headers));
        let Some(chain) = chain else {
            return peer;
        };
        // From the right: the first hop that is not one of ours is the client. If
        // every hop is ours, the leftmost is as far as anyone can see.
        chain
            .iter()
            .rev()
            .find(|address| !self.trusts(**address))
            .or(chain.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// The `for=` addresses of every `Forwarded` header, in order; `None` without the
/// header or with a `for=` that is not an address (`unknown`, an obfuscated name):
/// then nothing in the header can be used.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all("forwarded") {
        for element in value.to_str().ok()?.split(',') {
            for pair in element.split(';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("for") {
                    chain.push(node_address(value.trim().trim_matches('"'))?);
                }
            }
        }
    }
    (!chain.is_empty()).then_some(chain)
}

/// `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.parse()
        .ok()
        .or_else(|| node.rsplit_once(':')?.0.parse().ok())
}

fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for address in value.to_str().ok()?.split(',') {
            chain.push(node_address(address.trim())?);
        }
    }
    (!chain.is_empty()).then_some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges() {
        let range = AddressRange::parse("10.0.0.0/8").unwrap();
        assert!(range.contains(ip("10.200.1.2")));
        assert!(!range.contains(ip("11.0.0.1")));
        assert!(range.contains(ip("::ffff:10.1.1.1")), "mapped IPv4");
        assert!(AddressRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(
            AddressRange::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:1::5"))
        );
        assert!(
            AddressRange::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.9"))
        );
        assert_eq!(AddressRange::parse("10.0.0.0/33"), None);
        assert_eq!(AddressRange::parse("mail.example.org"), None);
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let proxies = TrustedProxies::new(vec![
            AddressRange::parse("127.0.0.1").unwrap(),
            AddressRange::parse("10.0.0.0/8").unwrap(),
        ]);
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9")]);
        // From an untrusted peer the header is ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &forwarded),
            ip("198.51.100.1")
        );
        // From the proxy, it names the client.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &forwarded),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &forwarded),
            ip("203.0.113.9")
        );
        // A client that sends its own X-Forwarded-For only adds to the left of what
        // the proxy appends: the rightmost untrusted address is still its own.
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.5")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &spoofed), ip("203.0.113.9"));
        // Forwarded (RFC 7239) first, with ports, quotes and IPv6 brackets.
        let rfc = headers(&[
            (
                "forwarded",
                "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.5",
            ),
            ("x-forwarded-for", "1.2.3.4"),
        ]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &rfc), ip("2001:db8::7"));
        // Nothing usable: the peer.
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &unknown), ip("127.0.0.1"));
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        // Without trusted proxies, nobody is believed.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &forwarded),
            ip("127.0.0.1")
        );
    }
}
