// Grouping the timeline by the day each photo was taken, on the camera's own clock (a photo
// taken at 23:30 in Tokyo belongs to that Tokyo day wherever it is looked at).
export interface Dated {
  id: string;
  taken_at_local: string; // "2023-01-02T03:04:05.000", the camera's wall clock
}

export interface Day<T extends Dated> {
  key: string; // "2023-01-02"
  label: string; // "Mon, 2 Jan 2023"
  items: T[];
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function dayLabel(key: string): string {
  const [y, m, d] = key.split('-').map(Number);
  if (!y || !m || !d) return key;
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${weekdays[weekday]}, ${d} ${months[m - 1]} ${y}`;
}

// Keeps the order it is given (the server's: newest first) and starts a new day whenever the
// date changes.
export function groupByDay<T extends Dated>(assets: T[]): Day<T>[] {
  const days: Day<T>[] = [];
  for (const asset of assets) {
    const key = asset.taken_at_local.slice(0, 10);
    const last = days[days.length - 1];
    if (last && last.key === key) {
      last.items.push(asset);
    } else {
      days.push({ key, label: dayLabel(key), items: [asset] });
    }
  }
  return days;
}
