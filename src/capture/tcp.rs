//! The first bytes of each TCP stream of a capture, reassembled by sequence number:
//! a ClientHello larger than one segment (many suites, a post-quantum key share,
//! padding, a small MSS) arrives in several, possibly retransmitted, duplicated (a
//! pktmon capture logs a packet at every component it passes) or out of order.
//!
//! Only the start of a stream is kept ([`MAX_FLIGHT`] bytes), for at most
//! [`MAX_STREAMS`] streams: enough for any hello, bounded for any capture.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::packets::Segment;
use crate::wire::client_hello::MAX_HELLO;

/// Bytes kept from the start of each stream: a whole hello in records of any size.
pub const MAX_FLIGHT: usize = MAX_HELLO + 1024;
/// Streams followed, at most.
pub const MAX_STREAMS: usize = 4096;
/// Segments kept per stream, at most (retransmits and duplicates included).
const MAX_SEGMENTS: usize = 1024;

/// The start of one direction of one TCP connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The stream's first bytes, contiguous.
    pub bytes: Vec<u8>,
    /// (offset in [`Self::bytes`], frame) of each segment that added to them.
    pub pieces: Vec<(usize, usize)>,
    /// True when later bytes were captured but a segment before them was not.
    pub gap: bool,
}

impl Stream {
    /// The first and last frames holding the stream's first `len` bytes.
    pub fn frames(&self, len: usize) -> (usize, usize) {
        let frames = self.pieces.iter().filter(|(at, _)| *at < len).map(|p| p.1);
        let first = frames.clone().min().unwrap_or(0);
        (first, frames.max().unwrap_or(first))
    }
}

#[derive(Default)]
struct Flow<'a> {
    src: Option<(SocketAddr, SocketAddr)>,
    /// Sequence number of the first data byte, when the SYN was captured.
    start: Option<u32>,
    segments: Vec<(u32, &'a [u8], usize)>,
}

/// The first bytes of every stream that carried data, in the order they began.
pub fn streams(segments: &[Segment<'_>]) -> Vec<Stream> {
    let mut flows: Vec<Flow<'_>> = Vec::new();
    let mut current: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    for s in segments {
        let key = (s.src, s.dst);
        let known = current.get(&key).copied();
        let fresh_syn = s.syn
            && known.is_some_and(|i| {
                let f = &flows[i];
                f.start != Some(s.seq.wrapping_add(1))
                    && (f.start.is_some() || !f.segments.is_empty())
            });
        let index = match known {
            Some(i) if !fresh_syn => i,
            _ if flows.len() >= MAX_STREAMS => continue,
            _ => {
                flows.push(Flow {
                    src: Some(key),
                    ..Flow::default()
                });
                current.insert(key, flows.len() - 1);
                flows.len() - 1
            }
        };
        let flow = &mut flows[index];
        let seq = match s.syn {
            true => {
                flow.start = Some(s.seq.wrapping_add(1));
                s.seq.wrapping_add(1)
            }
            false => s.seq,
        };
        if !s.payload.is_empty() && flow.segments.len() < MAX_SEGMENTS {
            flow.segments.push((seq, s.payload, s.frame));
        }
    }
    flows.iter().filter_map(assemble).collect::<Vec<_>>()
}

/// The contiguous start of a flow, from its SYN or, when the SYN was not captured,
/// from its earliest segment.
fn assemble(flow: &Flow<'_>) -> Option<Stream> {
    let (src, dst) = flow.src?;
    let first = *flow.segments.first()?;
    let start = flow.start.unwrap_or_else(|| {
        flow.segments
            .iter()
            .map(|s| s.0)
            .min_by_key(|seq| seq.wrapping_sub(first.0) as i32)
            .unwrap_or(first.0)
    });
    let mut placed: Vec<(usize, &[u8], usize)> = flow
        .segments
        .iter()
        .map(|(seq, data, frame)| (seq.wrapping_sub(start) as usize, *data, *frame))
        .filter(|(offset, _, _)| *offset < MAX_FLIGHT)
        .collect();
    placed.sort_by_key(|p| p.0);
    let mut bytes: Vec<u8> = Vec::new();
    let mut pieces = Vec::new();
    let mut gap = false;
    for (offset, data, frame) in placed {
        if offset > bytes.len() {
            gap = true;
            break;
        }
        let skip = bytes.len() - offset;
        if let Some(new) = data.get(skip..).filter(|n| !n.is_empty()) {
            let room = MAX_FLIGHT - bytes.len();
            pieces.push((bytes.len(), frame));
            bytes.extend_from_slice(&new[..new.len().min(room)]);
        }
    }
    (!bytes.is_empty()).then_some(Stream {
        src,
        dst,
        bytes,
        pieces,
        gap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(frame: usize, seq: u32, syn: bool, payload: &[u8]) -> Segment<'_> {
        Segment {
            frame,
            src: "10.0.0.1:50000".parse().unwrap(),
            dst: "10.0.0.2:443".parse().unwrap(),
            seq,
            syn,
            payload,
        }
    }

    #[test]
    fn out_of_order_retransmitted_and_duplicated_segments_reassemble() {
        let data: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let isn = u32::MAX - 10; // the sequence numbers wrap inside the stream
        let at = |off: usize| isn.wrapping_add(1).wrapping_add(off as u32);
        let segments = vec![
            seg(1, isn, true, &[]),
            seg(2, at(1000), false, &data[1000..2000]),
            seg(3, at(0), false, &data[..1000]),
            seg(4, at(0), false, &data[..1000]),
            seg(5, at(500), false, &data[500..1500]),
            seg(6, at(2000), false, &data[2000..]),
        ];
        let s = streams(&segments);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].bytes, data);
        assert!(!s[0].gap);
        assert_eq!(s[0].frames(3000), (2, 6));
        assert_eq!(s[0].frames(1000), (3, 3));
        assert_eq!(s[0].frames(1001), (3, 5));
        // Without the SYN, the earliest segment starts the stream.
        let s = streams(&segments[1..]);
        assert_eq!(s[0].bytes, data);
        // A lost segment: the bytes before it, and the gap said.
        let lost = [
            segments[0].clone(),
            segments[2].clone(),
            segments[5].clone(),
        ];
        let s = streams(&lost);
        assert_eq!(s[0].bytes, &data[..1000]);
        assert!(s[0].gap);
    }

    #[test]
    fn a_new_syn_on_the_same_ports_is_a_new_stream() {
        let segments = vec![
            seg(1, 100, true, &[]),
            seg(2, 101, false, b"first"),
            seg(3, 5000, true, &[]),
            seg(4, 5001, false, b"second"),
        ];
        let s = streams(&segments);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].bytes.as_slice(), s[1].bytes.as_slice()),
            (&b"first"[..], &b"second"[..])
        );
    }

    proptest! {
        #[test]
        fn any_segments_are_bounded_and_never_panic(
            segs in proptest::collection::vec((any::<u32>(), any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64)), 0..64)
        ) {
            let segments: Vec<Segment<'_>> = segs
                .iter()
                .enumerate()
                .map(|(i, (seq, syn, p))| seg(i + 1, *seq, *syn, p))
                .collect();
            for s in streams(&segments) {
                prop_assert!(s.bytes.len() <= MAX_FLIGHT);
            }
        }
    }
}
