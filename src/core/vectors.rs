//! Vector helpers every part of the core shares: the encoder's attention,
//! the MF scorer, the text-to-MF bridge, ranking and facets all take dot
//! products of plain `f32` slices. Written for auto-vectorisation (SSE/AVX
//! natively, simd128 in wasm) rather than pulling in a BLAS.

/// a·b, with eight independent accumulators so the compiler vectorises it
/// (SSE/AVX natively, simd128 in wasm).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let x = &a[c * 8..c * 8 + 8];
        let y = &b[c * 8..c * 8 + 8];
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for k in chunks * 8..n {
        s += a[k] * b[k];
    }
    s
}

/// y += alpha·x.
#[inline]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Cosine similarity of two vectors (their dot product when both are unit).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let ab = dot(a, b);
    let na = dot(a, a).sqrt();
    let nb = dot(b, b).sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        ab / (na * nb)
    }
}

/// Scales `v` to unit length; false (and `v` untouched) when its length is
/// zero or not finite.
pub fn normalize(v: &mut [f32]) -> bool {
    let n = dot(v, v).sqrt();
    if n > 0.0 && n.is_finite() {
        v.iter_mut().for_each(|x| *x /= n);
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..19).map(|x| x as f32).collect();
        let b = vec![2.0f32; 19];
        assert_eq!(dot(&a, &b), 2.0 * (0..19).sum::<i32>() as f32);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn cosine_and_normalize_handle_zero_vectors() {
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert!((cosine(&[1.0, 1.0], &[2.0, 2.0]) - 1.0).abs() < 1e-6);
        let mut z = [0.0f32, 0.0];
        assert!(!normalize(&mut z));
        let mut v = [3.0f32, 4.0];
        assert!(normalize(&mut v));
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut inf = [f32::INFINITY, 1.0];
        assert!(!normalize(&mut inf));
    }
}
