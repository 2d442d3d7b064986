// MaxPool's gradient: each output's dy goes to the first input position of its window (row-major) that
// equals the window's max, as tfjs-backend-cpu does; overlapping windows add up. Lanes run along channels
// (C a multiple of 4); `taken` marks the lanes whose position is already chosen.

export function maxPoolGrad(
  x: usize, y: usize, dy: usize, dx: usize,
  n: i32, h: i32, w: i32, c: i32,
  oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  const pixel = <usize>c << 2;
  const row = <usize>w * pixel;
  const image = <usize>h * row;
  memory.fill(dx, 0, <usize>n * image);
  let out: usize = 0;
  for (let img = 0; img < n; img++) {
    const xImg = <usize>img * image;
    for (let i = 0; i < oh; i++) {
      const r0 = i * sh - pt;
      const a0 = r0 < 0 ? -r0 : 0;
      const a1 = r0 + kh > h ? h - r0 : kh;
      for (let j = 0; j < ow; j++) {
        const q0 = j * sw - pl;
        const b0 = q0 < 0 ? -q0 : 0;
        const b1 = q0 + kw > w ? w - q0 : kw;
        for (let k: usize = 0; k < pixel; k += 16) {
          const m = v128.load(y + out + k);
          const g = v128.load(dy + out + k);
          let taken = i32x4.splat(0);
          for (let a = a0; a < a1; a++) {
            const at = xImg + <usize>(r0 + a) * row + k;
            for (let b = b0; b < b1; b++) {
              const p = at + <usize>(q0 + b) * pixel;
              const hit = v128.andnot(f32x4.eq(v128.load(x + p), m), taken);
              v128.store(dx + p, f32x4.add(v128.load(dx + p), v128.and(g, hit)));
              taken = v128.or(taken, hit);
            }
          }
        }
        out += pixel;
      }
    }
  }
}
