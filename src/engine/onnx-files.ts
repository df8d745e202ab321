// Where a model folder keeps its ONNX files. Kept apart from model.ts so UI code can check a folder's
// layout without pulling in onnxruntime-web.

export type OnnxVariant = 'fp32' | 'quantized';

/** Where each variant's ONNX file may be, in order of preference (the layouts the Hub uses). */
export const ONNX_FILES: Record<OnnxVariant, readonly string[]> = {
  fp32: ['onnx/model.onnx', 'model.onnx'],
  quantized: ['onnx/model_quantized.onnx', 'model_quantized.onnx'],
};

/** The ONNX file to load among a model's files: the preferred variant's if it has one, else the other's. */
export function pickOnnxFile(paths: readonly string[], preferred: OnnxVariant): { variant: OnnxVariant; path: string } | undefined {
  const other: OnnxVariant = preferred === 'fp32' ? 'quantized' : 'fp32';
  for (const variant of [preferred, other]) {
    const path = ONNX_FILES[variant].find((p) => paths.includes(p));
    if (path) return { variant, path };
  }
  return undefined;
}
