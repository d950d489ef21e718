//! Bounded tunnels: a global limit and a per-client limit, held by RAII guards so a slot
//! is given back however a session ends (including a panic or a dropped future).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub struct Slots {
    max_total: usize,
    max_per_client: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// Which limit a refused tunnel hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    Global(usize),
    PerClient(usize),
}

impl LimitHit {
    pub fn message(self) -> String {
        match self {
            LimitHit::Global(n) => {
                format!("the server already carries its maximum of {n} sessions")
            }
            LimitHit::PerClient(n) => {
                format!("your address already has the maximum of {n} open sessions")
            }
        }
    }
}

/// Holds one slot; dropping it frees the slot.
pub struct Slot {
    slots: Arc<Slots>,
    client: IpAddr,
}

impl Slots {
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max_total,
            max_per_client,
            state: Mutex::new(State::default()),
        })
    }

    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, LimitHit> {
        let client = client_key(ip);
        let mut state = self
            .state
            .lock()
            .expect("slot state is never left poisoned");
        if state.total >= self.max_total {
            return Err(LimitHit::Global(self.max_total));
        }
        let count = state.per_client.entry(client).or_insert(0);
        if *count >= self.max_per_client {
            return Err(LimitHit::PerClient(self.max_per_client));
        }
        *count += 1;
        state.total += 1;
        Ok(Slot {
            slots: Arc::clone(self),
            client,
        })
    }

    pub fn open(&self) -> usize {
        self.state
            .lock()
            .expect("slot state is never left poisoned")
            .total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self
            .slots
            .state
            .lock()
            .expect("slot state is never left poisoned");
        state.total -= 1;
        if let Some(count) = state.per_client.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                state.per_client.remove(&self.client);
            }
        }
    }
}

/// One IPv6 subscriber usually holds a whole /64, so counting single addresses there
/// would let one client take every slot; count the /64 instead.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_and_slots_come_back() {
        let slots = Slots::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let a1 = slots.try_acquire(a).unwrap();
        let _a2 = slots.try_acquire(a).unwrap();
        assert_eq!(slots.try_acquire(a).err(), Some(LimitHit::PerClient(2)));
        let _b1 = slots.try_acquire(b).unwrap();
        assert_eq!(slots.try_acquire(b).err(), Some(LimitHit::Global(3)));
        drop(a1);
        assert_eq!(slots.open(), 2);
        assert!(slots.try_acquire(a).is_ok());
    }

    #[test]
    fn an_ipv6_slash_64_is_one_client() {
        let slots = Slots::new(10, 1);
        let _one = slots.try_acquire("2001:db8::1".parse().unwrap()).unwrap();
        assert!(slots.try_acquire("2001:db8::2".parse().unwrap()).is_err());
        assert!(
            slots
                .try_acquire("2001:db8:0:1::1".parse().unwrap())
                .is_ok()
        );
    }
}
