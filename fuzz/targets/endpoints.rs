//! Target `endpoints`: an endpoints.toml (`--endpoints FILE`) through the loader.
//! Oracle: an error, or a list whose every host parses as a scan target with a port of
//! 1-65535, whose listing (`tlscompat endpoints`) holds nothing raw, and which loads
//! the same a second time.

use tlscompat::endpoints::EndpointList;
use tlscompat::endpoints::listing::write_listing;
use tlscompat::target::Host;

use super::oracle::{fail, lossy, nothing_raw};

pub fn run(data: &[u8]) {
    if let Err(e) = check(&lossy(data)) {
        fail("endpoints", e);
    }
}

pub fn check(text: &str) -> Result<(), String> {
    let Ok(list) = EndpointList::parse(text, "fuzz.toml") else {
        return Ok(());
    };
    for e in &list.endpoints {
        Host::parse(&e.host).map_err(|err| format!("{:?} loaded: {err}", e.host))?;
        if e.port == 0 {
            return Err(format!("{} loaded with port 0", e.host));
        }
        let _ = list.inherited(&e.host, e.port);
    }
    let _ = list.inherited("sub.login.microsoftonline.com", 443);
    let mut shown = Vec::new();
    write_listing(&list, &mut shown).map_err(|e| e.to_string())?;
    let shown = String::from_utf8(shown).map_err(|e| e.to_string())?;
    if !nothing_raw(&shown) {
        return Err(format!("raw characters in the listing: {shown:?}"));
    }
    match EndpointList::parse(text, "fuzz.toml") {
        Ok(again) if again.endpoints.len() == list.endpoints.len() => Ok(()),
        other => Err(format!("a second load differs: {:?}", other.map(|l| l.endpoints.len()))),
    }
}
