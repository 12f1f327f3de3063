//! A QR code encoder (byte mode, error correction level L, versions 1-10),
//! enough for the `otpauth://` URIs of virtual MFA devices.

/// Per version: (total codewords, EC codewords per block, data codewords per
/// block for each block).
const VERSIONS: &[(usize, usize, &[usize])] = &[
    (26, 7, &[19]),
    (44, 10, &[34]),
    (70, 15, &[55]),
    (100, 20, &[80]),
    (134, 26, &[108]),
    (172, 18, &[68, 68]),
    (196, 20, &[78, 78]),
    (242, 24, &[97, 97]),
    (292, 30, &[116, 116]),
    (346, 18, &[68, 68, 69, 69]),
];

const ALIGNMENT: &[&[usize]] = &[
    &[],
    &[6, 18],
    &[6, 22],
    &[6, 26],
    &[6, 30],
    &[6, 34],
    &[6, 22, 38],
    &[6, 24, 42],
    &[6, 26, 46],
    &[6, 28, 50],
];

fn gf_tables() -> ([u8; 256], [u8; 256]) {
    let (mut exp, mut log) = ([0u8; 256], [0u8; 256]);
    let mut x: u16 = 1;
    for (i, e) in exp.iter_mut().enumerate().take(255) {
        *e = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11d;
        }
    }
    exp[255] = exp[0];
    (exp, log)
}

fn gf_mul(a: u8, b: u8, exp: &[u8; 256], log: &[u8; 256]) -> u8 {
    if a == 0 || b == 0 {
        return 0;
    }
    exp[(log[a as usize] as usize + log[b as usize] as usize) % 255]
}

/// Reed-Solomon error correction codewords for one block.
fn rs_ec(data: &[u8], n: usize) -> Vec<u8> {
    let (exp, log) = gf_tables();
    // Generator polynomial (x - a^0)(x - a^1)...(x - a^(n-1)), highest first.
    let mut g = vec![1u8];
    for i in 0..n {
        let mut next = vec![0u8; g.len() + 1];
        for (j, &c) in g.iter().enumerate() {
            next[j] ^= c;
            next[j + 1] ^= gf_mul(c, exp[i], &exp, &log);
        }
        g = next;
    }
    let mut rem = vec![0u8; n];
    for &d in data {
        let factor = d ^ rem[0];
        rem.remove(0);
        rem.push(0);
        for (r, &c) in rem.iter_mut().zip(g.iter().skip(1)) {
            *r ^= gf_mul(c, factor, &exp, &log);
        }
    }
    rem
}

struct Bits(Vec<bool>);

impl Bits {
    fn push(&mut self, v: u32, n: usize) {
        for i in (0..n).rev() {
            self.0.push((v >> i) & 1 == 1);
        }
    }
}

/// The final codeword sequence for `text` at version `v` (1-based).
fn codewords(text: &[u8], v: usize) -> Vec<u8> {
    let (_, ec, blocks) = VERSIONS[v - 1];
    let capacity: usize = blocks.iter().sum();
    let mut bits = Bits(Vec::new());
    bits.push(0b0100, 4);
    bits.push(text.len() as u32, if v < 10 { 8 } else { 16 });
    for &b in text {
        bits.push(b as u32, 8);
    }
    let cap_bits = capacity * 8;
    let term = (cap_bits - bits.0.len()).min(4);
    bits.push(0, term);
    while bits.0.len() % 8 != 0 {
        bits.0.push(false);
    }
    let mut data: Vec<u8> = bits
        .0
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | u8::from(b)))
        .collect();
    let mut pad = [0xEC, 0x11].into_iter().cycle();
    while data.len() < capacity {
        data.push(pad.next().unwrap_or(0xEC));
    }
    let mut split = Vec::new();
    let mut at = 0;
    for &n in blocks {
        split.push(data[at..at + n].to_vec());
        at += n;
    }
    let ecs: Vec<Vec<u8>> = split.iter().map(|b| rs_ec(b, ec)).collect();
    let mut out = Vec::new();
    let longest = blocks.iter().copied().max().unwrap_or(0);
    for i in 0..longest {
        for b in &split {
            if let Some(&c) = b.get(i) {
                out.push(c);
            }
        }
    }
    for i in 0..ec {
        for e in &ecs {
            out.push(e[i]);
        }
    }
    out
}

fn bch(value: u32, poly: u32, bits: u32) -> u32 {
    let deg = 32 - poly.leading_zeros() - 1;
    let mut v = value << deg;
    while v != 0 && 32 - v.leading_zeros() - 1 >= deg {
        let shift = (32 - v.leading_zeros() - 1) - deg;
        v ^= poly << shift;
    }
    let _ = bits;
    (value << deg) | v
}

/// The module matrix (true = dark) of `text`, or `None` when it does not
/// fit version 10.
pub fn encode(text: &[u8]) -> Option<Vec<Vec<bool>>> {
    let v = (1..=VERSIONS.len()).find(|&v| {
        let cap: usize = VERSIONS[v - 1].2.iter().sum();
        let header = if v < 10 { 2 } else { 3 };
        text.len() + header <= cap
    })?;
    let size = 17 + 4 * v;
    let mut m = vec![vec![false; size]; size];
    let mut function = vec![vec![false; size]; size];
    let set = |m: &mut Vec<Vec<bool>>, f: &mut Vec<Vec<bool>>, r: usize, c: usize, dark: bool| {
        m[r][c] = dark;
        f[r][c] = true;
    };
    // Finder patterns with separators.
    for (fr, fc) in [(0usize, 0usize), (0, size - 7), (size - 7, 0)] {
        for dr in -1i32..=7 {
            for dc in -1i32..=7 {
                let (r, c) = (fr as i32 + dr, fc as i32 + dc);
                if r < 0 || c < 0 || r >= size as i32 || c >= size as i32 {
                    continue;
                }
                let inside = (0..=6).contains(&dr) && (0..=6).contains(&dc);
                let dark = inside
                    && (dr == 0
                        || dr == 6
                        || dc == 0
                        || dc == 6
                        || ((2..=4).contains(&dr) && (2..=4).contains(&dc)));
                set(&mut m, &mut function, r as usize, c as usize, dark);
            }
        }
    }
    // Timing patterns.
    for i in 8..size - 8 {
        set(&mut m, &mut function, 6, i, i % 2 == 0);
        set(&mut m, &mut function, i, 6, i % 2 == 0);
    }
    // Alignment patterns.
    let pos = ALIGNMENT[v - 1];
    let last = pos.len().saturating_sub(1);
    for (ri, &r) in pos.iter().enumerate() {
        for (ci, &c) in pos.iter().enumerate() {
            // The three corners that hold finder patterns get none.
            if (ri == 0 && ci == 0) || (ri == 0 && ci == last) || (ri == last && ci == 0) {
                continue;
            }
            for dr in -2i32..=2 {
                for dc in -2i32..=2 {
                    let dark = dr.abs() == 2 || dc.abs() == 2 || (dr == 0 && dc == 0);
                    set(
                        &mut m,
                        &mut function,
                        (r as i32 + dr) as usize,
                        (c as i32 + dc) as usize,
                        dark,
                    );
                }
            }
        }
    }
    // Dark module and reserved format areas.
    set(&mut m, &mut function, size - 8, 8, true);
    for i in 0..9 {
        function[8][i] = true;
        function[i][8] = true;
    }
    for i in 0..8 {
        function[8][size - 1 - i] = true;
        function[size - 1 - i][8] = true;
    }
    // Version information (versions 7 and up).
    if v >= 7 {
        let info = bch(v as u32, 0x1F25, 18);
        for i in 0..18 {
            let dark = (info >> i) & 1 == 1;
            let (a, b) = (i / 3, size - 11 + i % 3);
            set(&mut m, &mut function, a, b, dark);
            set(&mut m, &mut function, b, a, dark);
        }
    }
    // Data, in the zigzag order, with mask 0 ((r + c) % 2 == 0).
    let data = codewords(text, v);
    let bits: Vec<bool> = data
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .collect();
    let mut k = 0;
    let mut col = size as i32 - 1;
    let mut upward = true;
    while col > 0 {
        if col == 6 {
            col -= 1;
        }
        for i in 0..size {
            let r = if upward { size - 1 - i } else { i };
            for dc in 0..2 {
                let c = (col - dc) as usize;
                if function[r][c] {
                    continue;
                }
                let bit = bits.get(k).copied().unwrap_or(false);
                k += 1;
                m[r][c] = bit ^ ((r + c) % 2 == 0);
            }
        }
        upward = !upward;
        col -= 2;
    }
    // Format information: level L (01), mask 0.
    let format = bch(0b01_000, 0x537, 15) ^ 0x5412;
    let fbit = |i: usize| (format >> i) & 1 == 1;
    for i in 0..6 {
        m[i][8] = fbit(i);
    }
    m[7][8] = fbit(6);
    m[8][8] = fbit(7);
    m[8][7] = fbit(8);
    for i in 9..15 {
        m[8][14 - i] = fbit(i);
    }
    for i in 0..8 {
        m[8][size - 1 - i] = fbit(i);
    }
    for i in 8..15 {
        m[size - 15 + i][8] = fbit(i);
    }
    m[size - 8][8] = true;
    Some(m)
}

/// The PNG of `text` as a QR code: 4 pixels per module, 4-module quiet zone.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let m = encode(text.as_bytes())?;
    let (scale, quiet) = (4usize, 4usize);
    let side = (m.len() + 2 * quiet) * scale;
    let rows: Vec<Vec<u8>> = (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    let (r, c) = (
                        (y / scale) as i64 - quiet as i64,
                        (x / scale) as i64 - quiet as i64,
                    );
                    let dark = r >= 0
                        && c >= 0
                        && (r as usize) < m.len()
                        && (c as usize) < m.len()
                        && m[r as usize][c as usize];
                    if dark { 0 } else { 255 }
                })
                .collect()
        })
        .collect();
    Some(crate::png::greyscale(side as u32, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reed_solomon_matches_the_standards_example() {
        // The widely published "HELLO WORLD" 1-M example: 16 data codewords
        // and their 10 error correction codewords.
        let data = [
            32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17,
        ];
        let ec = rs_ec(&data, 10);
        assert_eq!(ec, vec![196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
    }

    #[test]
    fn format_and_version_bits() {
        // Level L, mask 0 and version 7 information from the standard's tables.
        assert_eq!(bch(0b01_000, 0x537, 15) ^ 0x5412, 0b111011111000100);
        assert_eq!(bch(7, 0x1F25, 18), 0b000111110010010100);
    }

    /// Matrices produced by an independent encoder (python-qrcode 8.2, level
    /// L, mask 0, byte mode) for the same texts.
    #[test]
    fn matches_an_independent_encoder() {
        let render = |m: Vec<Vec<bool>>| -> Vec<String> {
            m.iter()
                .map(|r| r.iter().map(|&d| if d { '#' } else { '.' }).collect())
                .collect()
        };
        let hello = [
            "#######..#.##.#######",
            "#.....#..###..#.....#",
            "#.###.#.##.##.#.###.#",
            "#.###.#..#.#..#.###.#",
            "#.###.#...#.#.#.###.#",
            "#.....#.....#.#.....#",
            "#######.#.#.#.#######",
            "........##.##........",
            "###.########.##...#..",
            ".#####.###....#....##",
            ".######.#...#...#####",
            "..##..........#....#.",
            "....#.##.##.#.#.#....",
            "........##.#.#.#..###",
            "#######.####.###..###",
            "#.....#.######.##....",
            "#.###.#.####.###...##",
            "#.###.#...#...##..##.",
            "#.###.#.###.#...#.#.#",
            "#.....#.##....#.#..#.",
            "#######.#.#.#.##...##",
        ];
        assert_eq!(render(encode(b"hello").unwrap()), hello);
        let otp = [
            "#######..#..##..##...#.##.#######",
            "#.....#...###.####.###.#..#.....#",
            "#.###.#.###.###.#..#....#.#.###.#",
            "#.###.#..###.###...##...#.#.###.#",
            "#.###.#...#...#........##.#.###.#",
            "#.....#..#...#.....###.##.#.....#",
            "#######.#.#.#.#.#.#.#.#.#.#######",
            "........###.###.###..#..#........",
            "###.#####.##..##.....##..##...#..",
            "###..#..#.##..##.#.####..##.....#",
            "#######.##...#......#.#.####.####",
            "##...#.##..#...#.#...##.##..#....",
            "###..##.#...#...#...###..##..#..#",
            "##.##...##.###.########..###...##",
            "#..##.#.##.##.###.#.###..##.#.###",
            "##.###..#...###.##...#.##..#...#.",
            "##.####.#.##..###..####..###....#",
            ".#.###..####..##.#.##.#...#..##.#",
            "#####.###....#..#....#..###.#.###",
            "###..#..##.#...#.##########..#.#.",
            "#.###.##....#......#.#...###.#.##",
            ".###.#..#..###.##....##..#...##.#",
            "#.#####...###.#.#.#.###...##...##",
            ".###.#..##..####.#.####..#..##..#",
            "#.##..#.##.#..##.....#..#####..#.",
            "........#..#..#####.##..#...#.###",
            "#######.###..#..#.#....##.#.##.##",
            "#.....#.#..#...#.#.######...##..#",
            "#.###.#.#...#.......##..#####..##",
            "#.###.#..#.###.##...##.###.##.#.#",
            "#.###.#.##.##.#..##.###.##.###..#",
            "#.....#.##..###..##..##.##.#...#.",
            "#######.#..#..#..##..#..######.##",
        ];
        assert_eq!(
            render(encode(b"otpauth://totp/dev@123456789012?secret=JBSWY3DPEHPK3PXP").unwrap()),
            otp
        );
    }

    #[test]
    fn sizes_follow_the_version() {
        assert_eq!(encode(b"hello").unwrap().len(), 21);
        let uri = format!(
            "otpauth://totp/Amazon%20Web%20Services:dev@123456789012?secret={}&issuer=Amazon%20Web%20Services",
            "A".repeat(64)
        );
        let m = encode(uri.as_bytes()).unwrap();
        assert_eq!((m.len() - 17) % 4, 0);
        assert!(encode(&[b'x'; 400]).is_none());
    }
}
