//! Fused CPU kernels for the encoder's fast path: an integer linear layer,
//! LayerNorm, GELU and softmax.
//!
//! The linear layer multiplies Q8_0 weights (the file's own int8 values and
//! per-32 block scales, widened to i16 once at load) by activations quantized
//! to 16 bits per block of 32, summing products in i32 with wasm's
//! `i32x4.dot_i16x8` (eight multiply-adds per instruction) and scaling per
//! block in f32. 32 products of |a| ≤ 32767 and |w| ≤ 127 stay far inside
//! i32. Measured against the f32 reference: one activation scale per token
//! in 8 bits gave cosine 0.9976 (BERT's hidden states have outlier
//! features); 8-bit blocks 0.9966–0.9995; 16-bit blocks with the file's
//! weights match the f32-weight path (≥ 0.9995).

/// Activation values sharing one scale.
pub const BLOCK: usize = 32;

/// A linear layer y = x·Wᵀ + b with int8 weights in blocks of [`BLOCK`].
pub struct Int8Linear {
    out: usize,
    inp: usize,
    /// Quantized weights, row-major `out × inp`, values in −127..=127.
    weight: Vec<i16>,
    /// Per-block dequantization scales, row-major `out × inp/BLOCK`.
    scale: Vec<f32>,
    bias: Vec<f32>,
}

impl Int8Linear {
    /// Takes Q8_0 data as stored in GGUF (per block: f16 scale, 32 × i8),
    /// `out × inp` row-major. `None` if the byte length does not match.
    pub fn from_q8_0(data: &[u8], bias: Vec<f32>, out: usize, inp: usize) -> Option<Self> {
        if inp % BLOCK != 0 || data.len() != out * inp / BLOCK * 34 || bias.len() != out {
            return None;
        }
        let mut weight = Vec::with_capacity(out * inp);
        let mut scale = Vec::with_capacity(out * inp / BLOCK);
        for block in data.chunks_exact(34) {
            scale.push(half::f16::from_le_bytes([block[0], block[1]]).to_f32());
            weight.extend(block[2..].iter().map(|&q| q as i8 as i16));
        }
        Some(Int8Linear {
            out,
            inp,
            weight,
            scale,
            bias,
        })
    }

    /// Quantizes f32 weights (`out × inp`, row-major) to int8 in blocks, as
    /// Q8_0 does. `inp` must be a multiple of [`BLOCK`]; callers check it.
    pub fn from_f32(weight: &[f32], bias: Vec<f32>, out: usize, inp: usize) -> Self {
        let mut q = Vec::with_capacity(out * inp);
        let mut scale = Vec::with_capacity(out * inp / BLOCK);
        for block in weight.chunks_exact(BLOCK) {
            scale.push(quantize_into(block, &mut q, 127.0));
        }
        Int8Linear {
            out,
            inp,
            weight: q,
            scale,
            bias,
        }
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.out
    }

    /// y (`n × out`) = x (`n × inp`) · Wᵀ + b. `scratch` holds the quantized
    /// activations between calls to avoid reallocating.
    pub fn forward(&self, x: &[f32], n: usize, scratch: &mut Quantized, y: &mut Vec<f32>) {
        scratch.quantize(x, n, self.inp);
        y.clear();
        y.resize(n * self.out, 0.0);
        let blocks = self.inp / BLOCK;
        let act = |t: usize| {
            (
                &scratch.values[t * self.inp..(t + 1) * self.inp],
                &scratch.scales[t * blocks..(t + 1) * blocks],
            )
        };
        let row = |j: usize| {
            (
                &self.weight[j * self.inp..(j + 1) * self.inp],
                &self.scale[j * blocks..(j + 1) * blocks],
            )
        };
        // Weight rows outside, tokens inside: each pair of rows is read from
        // memory once and reused from L1 for every token (the weights are
        // 21 MB; streaming them once per token was the bottleneck).
        let mut j = 0;
        while j < self.out {
            let j1 = (j + 1).min(self.out - 1);
            let (r0, r1) = (row(j), row(j1));
            for t in 0..n {
                let (xq, xs) = act(t);
                let (a0, a1) = dot2_blocks(xq, xs, r0, r1);
                y[t * self.out + j] = a0 + self.bias[j];
                y[t * self.out + j1] = a1 + self.bias[j1];
            }
            j += 2;
        }
    }
}

/// Block-quantized activations (one scale per [`BLOCK`] values), reused
/// across calls.
#[derive(Default)]
pub struct Quantized {
    values: Vec<i16>,
    scales: Vec<f32>,
}

impl Quantized {
    fn quantize(&mut self, x: &[f32], n: usize, k: usize) {
        self.values.clear();
        self.scales.clear();
        for block in x[..n * k].chunks_exact(BLOCK) {
            let s = quantize_into(block, &mut self.values, 32767.0);
            self.scales.push(s);
        }
    }
}

/// Appends round(v / s) for a symmetric scale s = max|v| / `limit`; returns s.
fn quantize_into(row: &[f32], out: &mut Vec<i16>, limit: f32) -> f32 {
    let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        out.extend(std::iter::repeat_n(0i16, row.len()));
        return 0.0;
    }
    let inv = limit / max;
    out.extend(
        row.iter()
            .map(|v| (v * inv).round().clamp(-limit, limit) as i16),
    );
    max / limit
}

/// One weight row: its values and its per-block scales.
pub type Row<'a> = (&'a [i16], &'a [f32]);

/// Block-scaled dot products of quantized activations `a` (scales `s`, one
/// per [`BLOCK`]) with two weight rows, sharing the loads of `a`:
/// Σ_b s_b·w_b·(a·row)_b for each row.
#[inline]
pub fn dot2_blocks(a: &[i16], s: &[f32], r0: Row, r1: Row) -> (f32, f32) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd::dot2_blocks(a, s, r0, r1)
    }
    #[cfg(target_arch = "x86_64")]
    {
        x86::dot2_blocks(a, s, r0, r1)
    }
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        target_arch = "x86_64"
    )))]
    {
        let ((b0, s0), (b1, s1)) = (r0, r1);
        let mut out0 = 0f32;
        let mut out1 = 0f32;
        let blocks = a
            .chunks_exact(BLOCK)
            .zip(b0.chunks_exact(BLOCK))
            .zip(b1.chunks_exact(BLOCK));
        for ((((ca, c0), c1), &sb), (&w0, &w1)) in blocks.zip(s).zip(s0.iter().zip(s1)) {
            // Eight i32 lanes over 8-wide chunks: LLVM turns this into pmaddwd on x86.
            let mut acc0 = [0i32; 8];
            let mut acc1 = [0i32; 8];
            for ((x, y0), y1) in ca
                .chunks_exact(8)
                .zip(c0.chunks_exact(8))
                .zip(c1.chunks_exact(8))
            {
                for k in 0..8 {
                    acc0[k] += x[k] as i32 * y0[k] as i32;
                    acc1[k] += x[k] as i32 * y1[k] as i32;
                }
            }
            out0 += sb * w0 * acc0.iter().sum::<i32>() as f32;
            out1 += sb * w1 * acc1.iter().sum::<i32>() as f32;
        }
        (out0, out1)
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::*;

    use super::{Row, BLOCK};

    #[inline]
    fn sum(v: v128) -> f32 {
        f32x4_extract_lane::<0>(v)
            + f32x4_extract_lane::<1>(v)
            + f32x4_extract_lane::<2>(v)
            + f32x4_extract_lane::<3>(v)
    }

    #[inline]
    pub fn dot2_blocks(a: &[i16], s: &[f32], (b0, s0): Row, (b1, s1): Row) -> (f32, f32) {
        let blocks = (a.len().min(b0.len()).min(b1.len()) / BLOCK)
            .min(s.len())
            .min(s0.len())
            .min(s1.len());
        let mut f0 = f32x4_splat(0.0);
        let mut f1 = f32x4_splat(0.0);
        let (pa, p0, p1) = (
            a.as_ptr() as *const v128,
            b0.as_ptr() as *const v128,
            b1.as_ptr() as *const v128,
        );
        // SAFETY: every load is at v128 index < blocks·4 ≤ len/8 of each slice.
        unsafe {
            for b in 0..blocks {
                let base = b * 4; // 32 i16 = 4 × v128
                let mut acc0 = i32x4_splat(0);
                let mut acc1 = i32x4_splat(0);
                for k in 0..4 {
                    let x = v128_load(pa.add(base + k));
                    acc0 = i32x4_add(acc0, i32x4_dot_i16x8(x, v128_load(p0.add(base + k))));
                    acc1 = i32x4_add(acc1, i32x4_dot_i16x8(x, v128_load(p1.add(base + k))));
                }
                let sb = *s.get_unchecked(b);
                let k0 = f32x4_splat(sb * *s0.get_unchecked(b));
                let k1 = f32x4_splat(sb * *s1.get_unchecked(b));
                f0 = f32x4_add(f0, f32x4_mul(f32x4_convert_i32x4(acc0), k0));
                f1 = f32x4_add(f1, f32x4_mul(f32x4_convert_i32x4(acc1), k1));
            }
        }
        (sum(f0), sum(f1))
    }
}

/// The same kernel with SSE2 (baseline on x86_64): `pmaddwd` is the
/// equivalent of wasm's `i32x4.dot_i16x8`.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Row, BLOCK};

    #[inline]
    pub fn dot2_blocks(a: &[i16], s: &[f32], (b0, s0): Row, (b1, s1): Row) -> (f32, f32) {
        let blocks = (a.len().min(b0.len()).min(b1.len()) / BLOCK)
            .min(s.len())
            .min(s0.len())
            .min(s1.len());
        let (pa, p0, p1) = (
            a.as_ptr() as *const __m128i,
            b0.as_ptr() as *const __m128i,
            b1.as_ptr() as *const __m128i,
        );
        // SAFETY: SSE2 is part of the x86_64 baseline; every unaligned load is
        // at __m128i index < blocks·4 ≤ len/8 of each slice.
        unsafe {
            let mut f0 = _mm_setzero_ps();
            let mut f1 = _mm_setzero_ps();
            for b in 0..blocks {
                let base = b * 4;
                let mut acc0 = _mm_setzero_si128();
                let mut acc1 = _mm_setzero_si128();
                for k in 0..4 {
                    let x = _mm_loadu_si128(pa.add(base + k));
                    acc0 =
                        _mm_add_epi32(acc0, _mm_madd_epi16(x, _mm_loadu_si128(p0.add(base + k))));
                    acc1 =
                        _mm_add_epi32(acc1, _mm_madd_epi16(x, _mm_loadu_si128(p1.add(base + k))));
                }
                let sb = *s.get_unchecked(b);
                f0 = _mm_add_ps(
                    f0,
                    _mm_mul_ps(
                        _mm_cvtepi32_ps(acc0),
                        _mm_set1_ps(sb * *s0.get_unchecked(b)),
                    ),
                );
                f1 = _mm_add_ps(
                    f1,
                    _mm_mul_ps(
                        _mm_cvtepi32_ps(acc1),
                        _mm_set1_ps(sb * *s1.get_unchecked(b)),
                    ),
                );
            }
            let mut o0 = [0f32; 4];
            let mut o1 = [0f32; 4];
            _mm_storeu_ps(o0.as_mut_ptr(), f0);
            _mm_storeu_ps(o1.as_mut_ptr(), f1);
            (o0.iter().sum(), o1.iter().sum())
        }
    }
}

/// In-place LayerNorm of each `dim`-row of x.
pub fn layer_norm(x: &mut [f32], dim: usize, weight: &[f32], bias: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(dim) {
        let mean = row.iter().sum::<f32>() / dim as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / dim as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// In-place exact GELU, x·Φ(x), as BERT uses.
pub fn gelu(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + libm::erff(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// In-place softmax of a slice.
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        for v in x.iter_mut() {
            *v /= sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_linear_approximates_f32() {
        let (out, inp, n) = (5, 64, 3);
        let w: Vec<f32> = (0..out * inp)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let x: Vec<f32> = (0..n * inp)
            .map(|i| ((i * 13 % 17) as f32 - 8.0) / 5.0)
            .collect();
        let b = vec![0.5; out];
        let lin = Int8Linear::from_f32(&w, b.clone(), out, inp);
        let mut y = Vec::new();
        lin.forward(&x, n, &mut Quantized::default(), &mut y);
        for t in 0..n {
            for j in 0..out {
                let exact: f32 = (0..inp)
                    .map(|c| x[t * inp + c] * w[j * inp + c])
                    .sum::<f32>()
                    + b[j];
                assert!(
                    (y[t * out + j] - exact).abs() < 0.05 * exact.abs().max(1.0),
                    "{t},{j}: {} vs {exact}",
                    y[t * out + j]
                );
            }
        }
    }

    #[test]
    fn q8_0_bytes_are_taken_as_stored() {
        // One block: scale 0.5 (f16 0x3800), values 0..32.
        let mut data = vec![0x00, 0x38];
        data.extend((0..32).map(|v| v as u8));
        let lin = Int8Linear::from_q8_0(&data, vec![0.0], 1, 32).unwrap();
        let mut y = Vec::new();
        lin.forward(&[1.0; 32], 1, &mut Quantized::default(), &mut y);
        assert!(
            (y[0] - 0.5 * (0..32).sum::<i32>() as f32).abs() < 1e-2,
            "{}",
            y[0]
        );
        assert!(Int8Linear::from_q8_0(&data[..10], vec![0.0], 1, 32).is_none());
    }

    #[test]
    fn zero_rows_and_helpers() {
        let lin = Int8Linear::from_f32(&[0.0; 32], vec![1.0], 1, 32);
        let mut y = Vec::new();
        lin.forward(&[0.0; 32], 1, &mut Quantized::default(), &mut y);
        assert_eq!(y, vec![1.0]);
        let mut s = [1.0, 2.0, 3.0];
        softmax(&mut s);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-6 && s[2] > s[1]);
        let mut g = [0.0, 3.0];
        gelu(&mut g);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.996).abs() < 1e-3);
        let mut x = [1.0, 3.0];
        layer_norm(&mut x, 2, &[1.0, 1.0], &[0.0, 0.0], 1e-12);
        assert!((x[0] + 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4);
        let a: Vec<i16> = (0..64).map(|i| (i % 5) as i16).collect();
        let (r0, r1) = dot2_blocks(
            &a,
            &[1.0, 0.5],
            (&[1; 64], &[1.0, 1.0]),
            (&[2; 64], &[1.0, 3.0]),
        );
        let s0: i32 = a[..32].iter().map(|&v| v as i32).sum();
        let s1: i32 = a[32..].iter().map(|&v| v as i32).sum();
        assert_eq!(r0, s0 as f32 + 0.5 * s1 as f32);
        // row 1: block 0 scale 1·1, values 2; block 1 scale 0.5·3, values 2.
        assert_eq!(r1, 2.0 * s0 as f32 + 3.0 * s1 as f32);
    }
}
