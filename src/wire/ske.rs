//! The ServerKeyExchange message of TLS 1.0–1.2 (RFC 4492 §5.4, RFC 5246 §7.4.3), as
//! far as checking its signature needs: the exact parameter bytes the server signed,
//! the signature scheme (TLS 1.2 only) and the signature.

use super::codec::Reader;
use super::enums::{KeyExchange, NamedGroup};

/// A decoded ServerKeyExchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange<'a> {
    /// The ServerECDHParams / ServerDHParams bytes, exactly as signed.
    pub params: &'a [u8],
    /// The named curve of an ECDHE exchange.
    pub group: Option<NamedGroup>,
    /// The SignatureScheme code point (TLS 1.2); `None` before 1.2, where the scheme
    /// follows from the key type (MD5+SHA-1 for RSA, SHA-1 for ECDSA).
    pub scheme: Option<u16>,
    pub signature: &'a [u8],
}

/// Decodes `body` for a suite with key exchange `kx`; `with_scheme` for TLS 1.2.
/// `None` when the message does not have the shape the suite implies.
pub fn read_server_key_exchange(
    body: &[u8],
    kx: KeyExchange,
    with_scheme: bool,
) -> Option<ServerKeyExchange<'_>> {
    let mut r = Reader::new(body);
    let group = match kx {
        KeyExchange::Ecdhe => {
            // Only named curves (type 3) exist in practice and in RFC 8422.
            if r.u8()? != 3 {
                return None;
            }
            let group = NamedGroup(r.u16()?);
            r.vec_u8()?;
            Some(group)
        }
        KeyExchange::Dhe => {
            r.vec_u16()?; // p
            r.vec_u16()?; // g
            r.vec_u16()?; // Ys
            None
        }
        _ => return None,
    };
    let params_len = body.len() - r.rest().len();
    let scheme = match with_scheme {
        true => Some(r.u16()?),
        false => None,
    };
    let signature = r.vec_u16()?.rest();
    if !r.is_empty() {
        return None;
    }
    Some(ServerKeyExchange {
        params: body.get(..params_len)?,
        group,
        scheme,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdhe_params_and_signature_split_exactly() {
        let body = [3, 0, 0x17, 2, 0xaa, 0xbb, 0x04, 0x03, 0, 2, 0x30, 0x00];
        let ske = read_server_key_exchange(&body, KeyExchange::Ecdhe, true).unwrap();
        assert_eq!(ske.params, &body[..6]);
        assert_eq!(ske.group, Some(NamedGroup::SECP256R1));
        assert_eq!(ske.scheme, Some(0x0403));
        assert_eq!(ske.signature, &[0x30, 0x00]);
        // Before TLS 1.2 there is no scheme: the same bytes no longer fit.
        assert!(read_server_key_exchange(&body, KeyExchange::Ecdhe, false).is_none());
    }

    #[test]
    fn dhe_params_and_truncation() {
        let body = [0, 1, 7, 0, 1, 2, 0, 1, 5, 0, 1, 9];
        let ske = read_server_key_exchange(&body, KeyExchange::Dhe, false).unwrap();
        assert_eq!(ske.params, &body[..9]);
        assert_eq!(ske.signature, &[9]);
        for cut in 0..body.len() {
            assert!(read_server_key_exchange(&body[..cut], KeyExchange::Dhe, false).is_none());
        }
        assert!(read_server_key_exchange(&body, KeyExchange::Rsa, false).is_none());
    }
}
