//! Packet captures in, TCP segments out: pcap (micro- and nanosecond, either byte
//! order, the Kuznetzov variant) and pcapng (several sections and interfaces, as
//! Wireshark, tshark, dumpcap and `pktmon etl2pcap` write it), parsed by
//! `pcap-parser`; link layers Ethernet (with VLAN tags), Linux cooked (SLL, SLL2),
//! raw IP, and BSD loopback (NULL, LOOP); IPv4 and IPv6 parsed by `etherparse`.
//!
//! Pure code over a byte slice; the number of frames read is bounded.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::data::{PacketData, get_packetdata};
use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified};
use pcap_parser::pcapng::Block;
use pcap_parser::{Linktype, PcapBlockOwned, PcapNGSlice, parse_pcap_header};

/// Frames read from one file, at most: a capture of hours of traffic is cut here (a
/// client's hello is in the first seconds of its connection).
pub const MAX_FRAMES: usize = 2_000_000;

/// The file formats recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl Format {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x34, 0xcd, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xcd, 0x34] => Some(Self::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => Some(Self::PcapNg),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::PcapNg => "pcapng",
        }
    }
}

/// One TCP segment, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// 1-based frame number, as Wireshark counts them.
    pub frame: usize,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub payload: &'a [u8],
}

/// What reading the frames met besides segments, for error messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub frames: usize,
    pub tcp: usize,
    /// Frames shorter on file than on the wire (the capture's snap length).
    pub snapped: usize,
    /// Link types met that this reader does not decode.
    pub unknown_links: Vec<i32>,
    /// Where the file stopped parsing, if it did before its end.
    pub cut_at: Option<String>,
    /// True when [`MAX_FRAMES`] stopped the reading.
    pub frame_limit: bool,
}

/// Every TCP segment of the capture, in file order.
pub fn segments<'a>(bytes: &'a [u8], format: Format) -> (Vec<Segment<'a>>, Stats) {
    let mut out = Vec::new();
    let mut stats = Stats::default();
    let mut each = |frame: &'a [u8], link: Linktype, caplen: usize, origlen: usize| {
        stats.frames += 1;
        if caplen < origlen {
            stats.snapped += 1;
        }
        match decode(frame, link, caplen, stats.frames) {
            Decoded::Segment(s) => {
                stats.tcp += 1;
                out.push(s);
            }
            Decoded::UnknownLink if !stats.unknown_links.contains(&link.0) => {
                stats.unknown_links.push(link.0)
            }
            _ => {}
        }
        stats.frames < MAX_FRAMES
    };
    let cut = match format {
        Format::Pcap => read_pcap(bytes, &mut each),
        Format::PcapNg => read_pcapng(bytes, &mut each),
    };
    stats.frame_limit = stats.frames >= MAX_FRAMES;
    stats.cut_at = cut;
    (out, stats)
}

/// Calls `each(data, link, caplen, origlen)` per frame until it returns false; the
/// place the file stopped parsing, if it did.
fn read_pcap<'a>(
    bytes: &'a [u8],
    each: &mut impl FnMut(&'a [u8], Linktype, usize, usize) -> bool,
) -> Option<String> {
    let (mut rest, header) = match parse_pcap_header(bytes) {
        Ok(v) => v,
        Err(_) => return Some("the pcap file header".into()),
    };
    let mut frame = 0usize;
    while !rest.is_empty() {
        frame += 1;
        let parsed = match (header.is_modified_format(), header.is_bigendian()) {
            (true, _) => parse_pcap_frame_modified(rest),
            (false, false) => parse_pcap_frame(rest),
            (false, true) => parse_pcap_frame_be(rest),
        };
        let Ok((next, block)) = parsed else {
            return Some(format!("frame {frame}"));
        };
        rest = next;
        let caplen = (block.caplen as usize).min(block.data.len());
        if !each(block.data, header.network, caplen, block.origlen as usize) {
            break;
        }
    }
    None
}

fn read_pcapng<'a>(
    bytes: &'a [u8],
    each: &mut impl FnMut(&'a [u8], Linktype, usize, usize) -> bool,
) -> Option<String> {
    // Blocks from the first too short one on are not handed to pcap-parser.
    let (bytes, short) = match first_short_block(bytes) {
        Some((at, n)) => (&bytes[..at], Some(n)),
        None => (bytes, None),
    };
    let Ok(blocks) = PcapNGSlice::from_slice(bytes) else {
        return Some("the pcapng section header".into());
    };
    // The link type of each interface of the current section.
    let mut links: Vec<Linktype> = Vec::new();
    let mut block_no = 0usize;
    for block in blocks {
        block_no += 1;
        let Ok(PcapBlockOwned::NG(block)) = block else {
            return Some(format!("block {block_no}"));
        };
        let (data, link, caplen, origlen) = match &block {
            Block::SectionHeader(_) => {
                links.clear();
                continue;
            }
            Block::InterfaceDescription(idb) => {
                links.push(idb.linktype);
                continue;
            }
            Block::EnhancedPacket(epb) => {
                let link = links.get(epb.if_id as usize).copied();
                (epb.data, link, epb.caplen as usize, epb.origlen as usize)
            }
            Block::SimplePacket(spb) => {
                let link = links.first().copied();
                let len = spb.origlen as usize;
                (spb.data, link, len.min(spb.data.len()), len)
            }
            _ => continue,
        };
        // A packet of an interface never described: its link type is unknown.
        let link = link.unwrap_or(Linktype(-1));
        if !each(data, link, caplen.min(data.len()), origlen) {
            return None;
        }
    }
    short.map(|n| format!("block {n}"))
}

/// The offset and number (from 1) of the first pcapng block whose length is below the
/// 12 bytes every block has (type, length, trailing length). pcap-parser 0.17 subtracts
/// 12 from the length unchecked for block types with a shorter header (a process
/// information block of length 8: an overflow, a panic in a debug build; found by the
/// `capture` fuzz target), so such a block and what follows never reach it. The
/// lengths are read in the byte order of their section's header.
fn first_short_block(bytes: &[u8]) -> Option<(usize, usize)> {
    const SECTION_HEADER: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
    let mut at = 0usize;
    let mut big_endian = false;
    let mut n = 0usize;
    while let Some(&[t0, t1, t2, t3, l0, l1, l2, l3]) = bytes.get(at..at.checked_add(8)?) {
        n += 1;
        if [t0, t1, t2, t3] == SECTION_HEADER {
            big_endian = match bytes.get(at + 8..at + 12)? {
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                _ => return None,
            };
        }
        let len = match big_endian {
            true => u32::from_be_bytes([l0, l1, l2, l3]),
            false => u32::from_le_bytes([l0, l1, l2, l3]),
        };
        if len < 12 {
            return Some((at, n));
        }
        at = at.checked_add(usize::try_from(len).ok()?)?;
    }
    None
}

enum Decoded<'a> {
    Segment(Segment<'a>),
    UnknownLink,
    Other,
}

/// LINKTYPE_LOOP: OpenBSD loopback, a 4-byte address family in network byte order.
const LOOP: Linktype = Linktype(108);

fn decode(data: &[u8], link: Linktype, caplen: usize, frame: usize) -> Decoded<'_> {
    let data = &data[..caplen.min(data.len())];
    let sliced = match link {
        Linktype::ETHERNET => SlicedPacket::from_ethernet(data),
        Linktype::NULL | LOOP => {
            let Some(rest) = data.get(4..) else {
                return Decoded::Other;
            };
            SlicedPacket::from_ip(rest)
        }
        _ => match get_packetdata(data, link, caplen) {
            Some(PacketData::L3(ether_type, rest)) => {
                SlicedPacket::from_ether_type(EtherType(ether_type), rest)
            }
            Some(PacketData::L2(rest)) => SlicedPacket::from_ethernet(rest),
            Some(PacketData::Unsupported(_)) => return Decoded::UnknownLink,
            _ => return Decoded::Other,
        },
    };
    let Ok(packet) = sliced else {
        return Decoded::Other;
    };
    let (src_ip, dst_ip): (IpAddr, IpAddr) = match &packet.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
        ),
        _ => return Decoded::Other,
    };
    let Some(TransportSlice::Tcp(tcp)) = &packet.transport else {
        return Decoded::Other;
    };
    Decoded::Segment(Segment {
        frame,
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        payload: tcp.payload(),
    })
}
