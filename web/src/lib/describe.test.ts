import { describe, expect, it } from 'vitest';
import { bytes, camera, exposure, place } from './describe';

describe('describe', () => {
  it('writes exposure the way photographers read it', () => {
    expect(exposure({ f_number: 1.8, exposure_seconds: 0.004, focal_length_mm: 4.25, iso: 50 })).toBe('ƒ/1.8 · 1/250 s · 4.3 mm · ISO 50');
    expect(exposure({ exposure_seconds: 2 })).toBe('2 s');
  });
  it('names the camera once', () => {
    expect(camera({ make: 'Canon', model: 'Canon EOS 5D' })).toBe('Canon EOS 5D');
    expect(camera({ make: 'Apple', model: 'iPhone 12' })).toBe('Apple iPhone 12');
  });
  it('formats sizes and places', () => {
    expect(bytes(2_500_000)).toBe('2.5 MB');
    expect(place({ latitude: 40.7, longitude: -111.9 })).toBe('40.70000° N, 111.90000° W');
    expect(place({})).toBe('');
  });
});
