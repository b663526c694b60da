//! IP addresses and blocks as OVH writes them: a single IP is the block `a.b.c.d/32`
//! (`/128` for IPv6), and a bare address means that block.

use std::net::IpAddr;

/// A parsed block: network address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpBlock {
    pub fn parse(text: &str) -> Option<IpBlock> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(IpBlock { addr, prefix })
    }

    fn bits(&self) -> (u128, u8) {
        match self.addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        }
    }

    /// Whether `other` lies inside this block (same family).
    pub fn contains(&self, other: &IpBlock) -> bool {
        let ((mine, width), (theirs, other_width)) = (self.bits(), other.bits());
        if width != other_width || other.prefix < self.prefix {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
        mine & mask == theirs & mask
    }
}

impl std::fmt::Display for IpBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The CIDR form of an IP or block (`1.2.3.4` → `1.2.3.4/32`), or `None` if it is neither.
pub fn normalize(text: &str) -> Option<String> {
    IpBlock::parse(text).map(|b| b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_contains() {
        assert_eq!(normalize("1.2.3.4").as_deref(), Some("1.2.3.4/32"));
        assert_eq!(normalize("2001:db8::1").as_deref(), Some("2001:db8::1/128"));
        assert_eq!(normalize("1.2.3.4/33"), None);
        assert_eq!(normalize("nope"), None);
        let block = IpBlock::parse("203.0.113.16/29").unwrap();
        assert!(block.contains(&IpBlock::parse("203.0.113.17").unwrap()));
        assert!(!block.contains(&IpBlock::parse("203.0.113.24").unwrap()));
    }
}
