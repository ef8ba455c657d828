/* float32 tanh, corewise's own: the element function of the tanh row's
 * float32 loop (ops.def), written once for every path -- the scalar form
 * here (used by the flag pass and on CPUs without a vector form) and the
 * hand-vectorised loops of vtanhf.c compute it with the same IEEE
 * operations in the same order, so they agree bit for bit.
 * corewise.evaluate's fused loops keep libmvec's tanhf (end of this file).
 *
 * Algorithm and coefficients: NumPy's simd_tanh_f32 (its umath hyperbolic
 * loops), itself a port of
 * Intel's SVML tanhf (svml_z0_tanh_s_la); NumPy is BSD-3-licensed,
 * Copyright (c) 2005-2024, NumPy Developers.  [0, 10) is split into 31
 * intervals, [0, 0x1.cp-5) and then 4 per binade (the index is the exponent
 * and top 2 mantissa bits of |x|); b[i] is the middle of interval i >= 1, and
 *     tanh(|x|) ~= c0[i] + c1[i] y + ... + c6[i] y^6,  y = |x| - b[i],
 * evaluated by Horner's rule with fused multiply-adds.  Interval 31 holds
 * 1 + 0 y + ..., so |x| >= 10, inf included, gives 1.0 (tanh(10) rounds to
 * 1 in float32) without a special case.  Then the sign of x is OR'ed in
 * (tanh(-0) = -0).  Unlike NumPy, |x| is clamped to 10 in the integer
 * domain before the subtraction, so inf and NaN never reach the
 * arithmetic: no invalid flag (NumPy clears the flags of its tanh loop;
 * corewise reports what the loop raises, which is nothing but inexact and,
 * for a few subnormal intermediates, underflow).  NaN returns x.
 * Subnormal x: c1[0] = 1 and c0[0] = 0, so tanh(x) = x exactly.
 * Measured over all 2^32 inputs (tools/tanhf_ulp.c): see README. */
#ifndef CW_TANHF_H
#define CW_TANHF_H
#include <math.h>
#include <stdint.h>
#include <string.h>

/* rows: b, c0 .. c6; column: interval */
static const float cw_tanhf_lut[8][32] __attribute__((aligned(64))) = {
    { /* b: interval start */
                    0.0f,        0x1.ep-5f,        0x1.2p-4f,        0x1.6p-4f,
               0x1.ap-4f,        0x1.ep-4f,        0x1.2p-3f,        0x1.6p-3f,
               0x1.ap-3f,        0x1.ep-3f,        0x1.2p-2f,        0x1.6p-2f,
               0x1.ap-2f,        0x1.ep-2f,        0x1.2p-1f,        0x1.6p-1f,
               0x1.ap-1f,        0x1.ep-1f,        0x1.2p+0f,        0x1.6p+0f,
               0x1.ap+0f,        0x1.ep+0f,        0x1.2p+1f,        0x1.6p+1f,
               0x1.ap+1f,        0x1.ep+1f,        0x1.2p+2f,        0x1.6p+2f,
               0x1.ap+2f,        0x1.ep+2f,        0x1.2p+3f,             0.0f,
    },
    { /* c0 */
                    0.0f,   0x1.df7392p-5f,   0x1.1f86bep-4f,   0x1.5f22d2p-4f,
          0x1.9e9356p-4f,   0x1.ddd092p-4f,    0x1.1e1ddp-3f,   0x1.5c9308p-3f,
          0x1.9a5f1cp-3f,   0x1.d7665cp-3f,   0x1.18a39ap-2f,   0x1.52c2c6p-2f,
          0x1.8a87e2p-2f,   0x1.bfae6ap-2f,    0x1.05087p-1f,    0x1.3157ep-1f,
            0x1.5789p-1f,   0x1.77d838p-1f,   0x1.9e5cb6p-1f,   0x1.c278a6p-1f,
          0x1.d9c6fap-1f,   0x1.e8789ep-1f,   0x1.f4bfd6p-1f,   0x1.fbd50ap-1f,
          0x1.fe767ap-1f,   0x1.ff6f18p-1f,   0x1.ffdfa8p-1f,    0x1.fffbap-1f,
          0x1.ffff68p-1f,   0x1.ffffecp-1f,   0x1.fffffep-1f,        0x1.0p+0f,
    },
    { /* c1 */
               0x1.0p+0f,   0x1.fe3f08p-1f,   0x1.fd7a22p-1f,   0x1.fc3cbep-1f,
          0x1.fac13ep-1f,   0x1.f9085ap-1f,   0x1.f601cap-1f,     0x1.f12bp-1f,
          0x1.eb715ap-1f,   0x1.e4dfb2p-1f,   0x1.d98b36p-1f,   0x1.c7f724p-1f,
          0x1.b3ff2ep-1f,   0x1.9e23aep-1f,   0x1.7aeae6p-1f,    0x1.49e6cp-1f,
          0x1.197fcep-1f,   0x1.d834d2p-2f,   0x1.615002p-2f,   0x1.cea744p-3f,
          0x1.265e34p-3f,   0x1.6fcfa6p-4f,   0x1.64108ap-5f,   0x1.09a7a8p-6f,
          0x1.88ef6ep-8f,   0x1.21a7b4p-9f,  0x1.02c03cp-11f,  0x1.183476p-14f,
         0x1.2f61b4p-17f,  0x1.48779cp-20f,  0x1.060d8cp-24f,             0.0f,
    },
    { /* c2 */
        -0x1.6878f6p-31f,  -0x1.ddcd3ap-5f,  -0x1.1e1b4ep-4f,  -0x1.5c8efap-4f,
         -0x1.9a543ep-4f,  -0x1.d7501ap-4f,  -0x1.188876p-3f,  -0x1.5279e6p-3f,
         -0x1.89e504p-3f,  -0x1.be6ca2p-3f,   -0x1.038f8p-2f,  -0x1.2daf94p-2f,
         -0x1.4ff71cp-2f,  -0x1.6a1d3cp-2f,  -0x1.825dfcp-2f,  -0x1.897d24p-2f,
          -0x1.79c0ep-2f,  -0x1.5aa21cp-2f,  -0x1.1defacp-2f,  -0x1.970e08p-3f,
         -0x1.10646ep-3f,  -0x1.5ee892p-4f,  -0x1.5c3d88p-5f,  -0x1.077e0cp-6f,
         -0x1.87c16ap-8f,  -0x1.2155b8p-9f, -0x1.02afb6p-11f, -0x1.1831e4p-14f,
        -0x1.2f612cp-17f, -0x1.48775cp-20f, -0x1.060258p-24f,             0.0f,
    },
    { /* c3 */
         -0x1.55554ap-2f,  -0x1.560c24p-2f,  -0x1.4fe03ep-2f,   -0x1.49c24p-2f,
         -0x1.470f6ep-2f,  -0x1.42b2c4p-2f,  -0x1.3aafeep-2f,  -0x1.2ed6b4p-2f,
         -0x1.20461ap-2f,  -0x1.101bfep-2f,  -0x1.e8f366p-3f,   -0x1.987b1p-3f,
         -0x1.424904p-3f,  -0x1.d71974p-4f,  -0x1.bcf15ap-5f,   0x1.d6bcdcp-7f,
          0x1.072286p-4f,   0x1.843dc2p-4f,   0x1.c68f5ep-4f,   0x1.97d92cp-4f,
          0x1.33de5ap-4f,   0x1.a85d42p-5f,   0x1.bbce02p-6f,   0x1.5994cep-7f,
          0x1.03964ep-8f,  0x1.80e742p-10f,  0x1.586064p-12f,  0x1.7529b2p-15f,
         0x1.94103ap-18f,  0x1.b57a98p-21f,  0x1.56796cp-25f,             0.0f,
    },
    { /* c4 */
        -0x1.dbad72p-17f,  -0x1.384edap-3f,   0x1.3b9e5ep-7f,   0x1.834f1ap-4f,
          0x1.2df30ap-4f,   0x1.456c36p-4f,   0x1.82672ep-4f,    0x1.a5ecep-4f,
          0x1.e91414p-4f,    0x1.0d8b5p-3f,   0x1.347574p-3f,   0x1.4f880ap-3f,
           0x1.5cf1ap-3f,   0x1.587c88p-3f,   0x1.3a612ep-3f,   0x1.e951e8p-4f,
           0x1.470a1p-4f,   0x1.6282d4p-5f,   0x1.ac4caep-9f,  -0x1.5dd592p-6f,
         -0x1.9d2832p-6f,  -0x1.55d588p-6f,   -0x1.93cfap-7f,  -0x1.4e3bbap-8f,
         -0x1.00761cp-9f, -0x1.7f340ap-11f, -0x1.58114ep-13f, -0x1.752464p-16f,
        -0x1.94161ep-19f, -0x1.b582d2p-22f, -0x1.56f158p-26f,             0.0f,
    },
    { /* c5 */
          0x1.1221d2p-3f,   0x1.ec2286p+7f,   0x1.cbd9b8p+3f,  -0x1.21eeacp+4f,
         -0x1.1812fap+2f,  -0x1.575026p+1f,  -0x1.fed7b4p-1f,    0x1.563b8p-1f,
          0x1.9c20bap-2f,   0x1.84d528p-1f, -0x1.b61b88p-10f,   0x1.48762ep-4f,
          -0x1.a3571p-5f,  -0x1.5d447ap-6f,  -0x1.76db1ap-5f,  -0x1.d9555ap-5f,
         -0x1.f2b7dap-5f,  -0x1.bfbbb4p-5f,  -0x1.071e76p-5f,  -0x1.395ac6p-7f,
         0x1.768eccp-10f,   0x1.2be216p-8f,   0x1.04b0e6p-8f,  0x1.f5d4ccp-10f,
          0x1.93f0fp-11f,  0x1.32d7e6p-12f,  0x1.1e7cd8p-14f,  0x1.3761c6p-17f,
         0x1.514bccp-20f,  0x1.6d362ep-23f,   0x1.490f6p-27f,             0.0f,
    },
    { /* c6 */
         -0x1.1c5eccp-7f,  0x1.17b424p+13f,   0x1.ac71dep+8f,  -0x1.c2387cp+8f,
         -0x1.7549d2p+6f,  -0x1.93b45ap+5f,  -0x1.0b3704p+4f,   0x1.bab6aep+2f,
           0x1.928c8p+1f,    0x1.8e615p+2f,  -0x1.1e2c1cp-1f,   0x1.61cedep-3f,
         -0x1.50270ep-2f,  -0x1.64d438p-4f,  -0x1.6a3caep-5f,   -0x1.98034p-9f,
          0x1.3af7f6p-7f,   0x1.e459a2p-7f,   0x1.2e7e38p-6f,   0x1.674636p-7f,
          0x1.0c5de8p-8f,   0x1.4f67ap-11f, -0x1.76b20ep-11f, -0x1.1df844p-11f,
        -0x1.ff3e1ep-13f,  -0x1.915eap-14f, -0x1.7bbbf6p-16f,  -0x1.9e52ap-19f,
        -0x1.c10b62p-22f, -0x1.e63bf4p-25f, -0x1.b43e08p-29f,             0.0f,
    },
};

/* Range reduction in the integer domain, shared by all forms: with
 * a = bits of |x| and ac = min(a, bits of 10.0f), the interval is
 * i = (max(ac, BASE) >> 21) - (BASE >> 21), 0 .. 31, and y = ac - b[i]
 * (|x| >= 10 lands in interval 31, whose polynomial is 1 for any y). */
#define CW_TANHF_ABS 0x7fffffffu
#define CW_TANHF_BASE 0x3d400000u      /* 0x1.8p-5: interval 1 starts at 0x1.cp-5 */
#define CW_TANHF_CLAMP 0x41200000u     /* 10.0f: interval 31 starts here */

/* Declares R = the interval's polynomial at AX = min(|x|, 10), in any
 * form: C(j) is row j (0 = b) of the table at the element's interval, SUB
 * and FMA the arithmetic (scalar or vector). */
#define CW_TANHF_POLY(T, SUB, FMA, C, AX, R)                                  \
    const T R##_y = SUB(AX, C(0));                                            \
    T R = FMA(C(7), R##_y, C(6));                                             \
    R = FMA(R, R##_y, C(5));                                                  \
    R = FMA(R, R##_y, C(4));                                                  \
    R = FMA(R, R##_y, C(3));                                                  \
    R = FMA(R, R##_y, C(2));                                                  \
    R = FMA(R, R##_y, C(1))
#define CW_TANHF_SUB(a, b) ((a) - (b))

#ifndef CW_EVAL_JIT
static inline float cw_tanhf_(float x)
{
    uint32_t u, ru;
    memcpy(&u, &x, sizeof u);
    const uint32_t a = u & CW_TANHF_ABS;
    const uint32_t ac = a < CW_TANHF_CLAMP ? a : CW_TANHF_CLAMP;
    const int i = (int)((ac > CW_TANHF_BASE ? ac : CW_TANHF_BASE) >> 21) - (int)(CW_TANHF_BASE >> 21);
    float ax;
    memcpy(&ax, &ac, sizeof ax);
#define CW_C(j) cw_tanhf_lut[j][i]
    CW_TANHF_POLY(float, CW_TANHF_SUB, fmaf, CW_C, ax, r);
#undef CW_C
    memcpy(&ru, &r, sizeof ru);
    ru |= u & ~CW_TANHF_ABS;          /* r >= 0: the sign of x */
    memcpy(&r, &ru, sizeof r);
    return a > 0x7f800000u ? x : r;
}
#else
/* corewise.evaluate's loops (compiled at run time, pkg/_evaluate.py) are
 * built for baseline x86-64 and AVX2 without FMA, where each fmaf is a
 * library call: fused there, this form ran 12x slower than libmvec's
 * vector tanhf (`evaluate("tanh(x)")`, 4M float32, 1 thread: 48 vs 4.0 ms;
 * corewise.tanh 1.5 ms).  So they keep tanhf, within 4 ULP: it may differ
 * from corewise.tanh in the last bit (1 ULP at most on 4M uniform inputs). */
#define cw_tanhf_ tanhf
#endif

#endif
