// The scrubber maps the timeline's whole scroll range onto a track as tall as the window: a year's
// label sits where its newest month starts, and a point on the track is the place in the timeline
// at the same fraction of the total height.

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];

// "2021-05" → "May 2021"
export function monthLabel(key: string): string {
  const [y, m] = key.split('-').map(Number);
  if (!y || !m || m > 12) return key;
  return `${monthNames[m - 1]} ${y}`;
}

export interface YearMark {
  year: string;
  y: number; // on the track
  month: number; // index of the year's newest month
}

// Months are newest first; `offsets` as from layout.offsetsOf. A year whose label would come
// closer than `minGap` to the one above it is left out (short years between long ones).
export function yearMarks(keys: readonly string[], offsets: readonly number[], trackHeight: number,
                          minGap: number): YearMark[] {
  const total = offsets[keys.length] ?? 0;
  if (total <= 0 || trackHeight <= 0) return [];
  const marks: YearMark[] = [];
  let lastY = -Infinity;
  keys.forEach((key, i) => {
    const year = key.slice(0, 4);
    if (i > 0 && keys[i - 1].slice(0, 4) === year) return;
    const y = (offsets[i] / total) * trackHeight;
    if (y - lastY < minGap) return;
    marks.push({ year, y, month: i });
    lastY = y;
  });
  return marks;
}

// Track position ↔ position in the timeline, both clamped to their ranges.
export function trackToOffset(y: number, trackHeight: number, total: number): number {
  if (trackHeight <= 0) return 0;
  return Math.min(total, Math.max(0, (y / trackHeight) * total));
}

export function offsetToTrack(offset: number, total: number, trackHeight: number): number {
  if (total <= 0) return 0;
  return Math.min(trackHeight, Math.max(0, (offset / total) * trackHeight));
}
