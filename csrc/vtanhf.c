/* Hand-vectorised loops of corewise's float32 tanh (cw_tanhf.h): the same
 * IEEE operations as the scalar cw_tanhf_, in the same order, so every
 * element is bitwise what the scalar form gives (tools/tanhf_ulp.c checks
 * all 2^32 inputs).  The interval table is looked up with two-source
 * permutes on AVX-512 (its 32 entries per coefficient are two registers,
 * loaded once per call) and with gathers on AVX2.  A partial last vector
 * is a masked load/store (AVX-512) or goes through a padded buffer (AVX2),
 * through the same instructions.  kernels.c runs these as the tanh row's
 * float32 loop (cw_vtanhf_pick); without AVX2+FMA, the generated loop over
 * the scalar form runs.
 *
 * They return 0 ("wrote no inf/NaN that needs a flag pass") even for NaN
 * input: the driver's scalar re-derivation of FP flags exists for libmvec,
 * whose flags differ from libm's, but these loops raise exactly the flags
 * of the scalar form (same operations; NaN and inf never reach the
 * arithmetic; masked or zero-padded tail lanes raise none).  Flagging NaN
 * input made an array with one NaN per 8192 elements 33x slower (4M:
 * 0.75 -> 25 ms) for nothing.  A stretch that did raise a flag (underflow)
 * still gets the pass, which then raises the same flag. */
#include "cw_internal.h"
#include "cw_tanhf.h"

/* x86-64 with GCC or clang: per-function target attributes, also in a
 * -march=native build (COREWISE_NATIVE=1). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define CW_AVX512 __attribute__((target("avx512f")))
#define CW_AVX2 __attribute__((target("avx2,fma")))

/* One vector of 16: the table as two registers per coefficient, rotated
 * so that a two-source permute indexed by the low 5 bits of
 * max(ac, BASE) >> 21 (that is, interval + 10 mod 32) finds interval i. */
#define CW_ROT ((CW_TANHF_BASE >> 21) & 31)
CW_AVX512 static inline __m512i tanhf_avx512_vec(__m512i u, const __m512 *lo, const __m512 *hi)
{
    const __m512i absm = _mm512_set1_epi32((int)CW_TANHF_ABS);
    const __m512i a = _mm512_and_si512(u, absm);
    const __m512i ac = _mm512_min_epu32(a, _mm512_set1_epi32((int)CW_TANHF_CLAMP));
    const __m512i idx = _mm512_srli_epi32(_mm512_max_epu32(ac, _mm512_set1_epi32((int)CW_TANHF_BASE)), 21);
#define CW_C(j) _mm512_permutex2var_ps(lo[j], idx, hi[j])
    CW_TANHF_POLY(__m512, _mm512_sub_ps, _mm512_fmadd_ps, CW_C, _mm512_castsi512_ps(ac), r);
#undef CW_C
    /* absm ? r : u -- r >= 0 with the sign bit of x */
    const __m512i ri = _mm512_ternarylogic_epi32(_mm512_castps_si512(r), u, absm, 0xe4);
    return _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(0x7f800000)), ri, u);
}

CW_AVX512 static int tanhf_avx512(ptrdiff_t n, const float *x, float *z)
{
    __m512 lo[8], hi[8];
    for (int k = 0; k < 8; k++) {
        const __m512i l = _mm512_load_si512(&cw_tanhf_lut[k][0]);
        const __m512i h = _mm512_load_si512(&cw_tanhf_lut[k][16]);
        lo[k] = _mm512_castsi512_ps(_mm512_alignr_epi32(l, h, 16 - CW_ROT));
        hi[k] = _mm512_castsi512_ps(_mm512_alignr_epi32(h, l, 16 - CW_ROT));
    }
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i u = _mm512_loadu_si512(x + i);
        _mm512_storeu_si512(z + i, tanhf_avx512_vec(u, lo, hi));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512i u = _mm512_maskz_loadu_epi32(m, x + i);
        _mm512_mask_storeu_epi32(z + i, m, tanhf_avx512_vec(u, lo, hi));
    }
    return 0;
}

CW_AVX2 static inline __m256i tanhf_avx2_vec(__m256i u)
{
    const __m256i absm = _mm256_set1_epi32((int)CW_TANHF_ABS);
    const __m256i a = _mm256_and_si256(u, absm);
    const __m256i ac = _mm256_min_epu32(a, _mm256_set1_epi32((int)CW_TANHF_CLAMP));
    const __m256i idx = _mm256_sub_epi32(
        _mm256_srli_epi32(_mm256_max_epu32(ac, _mm256_set1_epi32((int)CW_TANHF_BASE)), 21),
        _mm256_set1_epi32((int)(CW_TANHF_BASE >> 21)));
#define CW_C(j) _mm256_i32gather_ps(cw_tanhf_lut[j], idx, 4)
    CW_TANHF_POLY(__m256, _mm256_sub_ps, _mm256_fmadd_ps, CW_C, _mm256_castsi256_ps(ac), r);
#undef CW_C
    const __m256i ri = _mm256_or_si256(_mm256_castps_si256(r), _mm256_andnot_si256(absm, u));
    return _mm256_blendv_epi8(ri, u, _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7f800000)));
}

CW_AVX2 static int tanhf_avx2(ptrdiff_t n, const float *x, float *z)
{
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_si256((__m256i *)(z + i),
                            tanhf_avx2_vec(_mm256_loadu_si256((const __m256i *)(x + i))));
    if (i < n) {
        float b[8] = { 0 };
        memcpy(b, x + i, (size_t)(n - i) * sizeof *b);
        __m256i r = tanhf_avx2_vec(_mm256_loadu_si256((const __m256i *)b));
        _mm256_storeu_si256((__m256i *)b, r);
        memcpy(z + i, b, (size_t)(n - i) * sizeof *b);
    }
    return 0;
}

cw_f32_loop cw_vtanhf_pick(const char **isa)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        if (isa)
            *isa = "avx512f";
        return tanhf_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (isa)
            *isa = "avx2";
        return tanhf_avx2;
    }
    if (isa)
        *isa = "generic";
    return NULL;
}
#else
cw_f32_loop cw_vtanhf_pick(const char **isa)
{
    if (isa)
        *isa = "generic";
    return NULL;
}
#endif
