/* Exhaustive check of corewise's float32 tanh (csrc/cw_tanhf.h, vtanhf.c)
 * over all 2^32 inputs:
 *   - the largest error in ULP of the scalar form against tanh in double
 *     (glibc's, < 1 ULP of double: ~2^-29 ULP of float, negligible; the
 *     error is measured against that unrounded value, so no ties matter);
 *   - special values as NumPy: NaN -> NaN, +-inf -> +-1, +-0 -> +-0 with its
 *     sign, subnormal x -> x, and the sign of every result that of x;
 *   - each hand-vectorised loop (vtanhf.c) this CPU can run, AVX-512 and
 *     AVX2, bitwise equal to the scalar form on every input.
 * Build and run (two minutes on one core; OpenMP uses all of them):
 *   gcc -O2 -fopenmp -Icsrc tools/tanhf_ulp.c -lm -o /tmp/tanhf_ulp && /tmp/tanhf_ulp
 * `/tmp/tanhf_ulp STEP` checks only the inputs whose bits are multiples of
 * STEP (the test suite runs a sample so).  Prints the maximum error and
 * where it is; exits 1 on a failed check or an error above 4 ULP. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vtanhf.c"

#define CHUNK 4096

static float f_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* |got - want| in units of the float32 spacing at want */
static double ulps(float got, double want)
{
    int e;
    frexp(want, &e);                  /* |want| in [2^(e-1), 2^e) */
    if (e < -125)
        e = -125;                     /* subnormal range: spacing 2^-149 */
    return fabs((double)got - want) / ldexp(1.0, e - 24);
}

int main(int argc, char **argv)
{
    const long long step = argc > 1 ? atoll(argv[1]) : 1;
    if (step < 1)
        return 2;
    const long long total = ((1LL << 32) + step - 1) / step;
    __builtin_cpu_init();
    const int has512 = __builtin_cpu_supports("avx512f");
    const int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    double worst = 0;
    uint32_t worst_u = 0;
    long long bad_special = 0, bad_vec = 0;
#pragma omp parallel
    {
        float xs[CHUNK], z512[CHUNK], z2[CHUNK];
        double lworst = 0;
        uint32_t lworst_u = 0;
#pragma omp for schedule(dynamic, 64) reduction(+ : bad_special, bad_vec)
        for (long long c = 0; c < (total + CHUNK - 1) / CHUNK; c++) {
            const long long left = total - c * CHUNK;
            for (int j = 0; j < CHUNK; j++)
                xs[j] = f_of((uint32_t)((c * CHUNK + j) * step));
            /* two calls of odd lengths: partial last vectors are checked too */
            const int m = (int)(left < CHUNK ? left : CHUNK), n = m - (int)(c % 17);
            if (has512) {
                tanhf_avx512(n, xs, z512);
                tanhf_avx512(m - n, xs + n, z512 + n);
            }
            if (has2) {
                tanhf_avx2(n, xs, z2);
                tanhf_avx2(m - n, xs + n, z2 + n);
            }
            for (int j = 0; j < m; j++) {
                const float x = xs[j], s = cw_tanhf_(x);
                const uint32_t u = u_of(x);
                if (j < m && ((has512 && u_of(z512[j]) != u_of(s))
                              || (has2 && u_of(z2[j]) != u_of(s))))
                    bad_vec++;
                if (isnan(x)) {
                    bad_special += !isnan(s);
                    continue;
                }
                if (signbit(s) != signbit(x) || (isinf(x) && fabsf(s) != 1.0f)
                    || (x == 0 && u_of(s) != u))
                    bad_special++;
                else if (fpclassify(x) == FP_SUBNORMAL && u_of(s) != u)
                    bad_special++;
                if (isinf(x))
                    continue;
                const double e = ulps(s, tanh((double)x));
                if (e > lworst) {
                    lworst = e;
                    lworst_u = u;
                }
            }
        }
#pragma omp critical
        if (lworst > worst) {
            worst = lworst;
            worst_u = lworst_u;
        }
    }
    const float wx = f_of(worst_u);
    printf("float32 tanh, %lld inputs: max error %.3f ULP at x = %a (%.9g): "
           "got %a, tanh = %.17g\n", total, worst, wx, wx, cw_tanhf_(wx), tanh((double)wx));
    printf("special values wrong: %lld; vector loops checked:%s%s, results differing "
           "from the scalar form: %lld\n", bad_special, has512 ? " avx512f" : "",
           has2 ? " avx2+fma" : "", bad_vec);
    return bad_special || bad_vec || worst > 4.0;
}
