// The viewer's info panel in words: exposure, size, place, camera. Pure, unit-tested.
export interface MediaFacts {
  width?: number;
  height?: number;
  latitude?: number;
  longitude?: number;
  make?: string;
  model?: string;
  lens?: string;
  focal_length_mm?: number;
  f_number?: number;
  exposure_seconds?: number;
  iso?: number;
  duration_ms?: number;
}

export function exposure(m: MediaFacts): string {
  const parts: string[] = [];
  if (m.f_number) parts.push(`ƒ/${Number(m.f_number.toFixed(1))}`);
  if (m.exposure_seconds) {
    parts.push(m.exposure_seconds >= 1 ? `${Number(m.exposure_seconds.toFixed(1))} s` : `1/${Math.round(1 / m.exposure_seconds)} s`);
  }
  if (m.focal_length_mm) parts.push(`${Number(m.focal_length_mm.toFixed(1))} mm`);
  if (m.iso) parts.push(`ISO ${m.iso}`);
  return parts.join(' · ');
}

export function camera(m: MediaFacts): string {
  const make = m.make?.trim() ?? '';
  const model = m.model?.trim() ?? '';
  // Many models repeat the make ("Canon Canon EOS 5D"): say it once.
  if (make && model.toLowerCase().startsWith(make.toLowerCase())) return model;
  return [make, model].filter(Boolean).join(' ');
}

export function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} KB`;
  return `${n} B`;
}

export function place(m: MediaFacts): string {
  if (m.latitude === undefined || m.longitude === undefined) return '';
  const lat = `${Math.abs(m.latitude).toFixed(5)}° ${m.latitude >= 0 ? 'N' : 'S'}`;
  const lon = `${Math.abs(m.longitude).toFixed(5)}° ${m.longitude >= 0 ? 'E' : 'W'}`;
  return `${lat}, ${lon}`;
}

export function megapixels(m: MediaFacts): string {
  if (!m.width || !m.height) return '';
  return `${m.width} × ${m.height} (${((m.width * m.height) / 1e6).toFixed(1)} MP)`;
}

export function duration(m: MediaFacts): string {
  if (!m.duration_ms) return '';
  const s = Math.round(m.duration_ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
