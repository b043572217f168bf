// Browser uploads through the server's tus endpoint (resumable: tus-js-client keeps each file's
// upload URL in localStorage and continues where it stopped after a reload or a dropped
// connection). Progress per file and in total; duplicates are told apart from new photos.
// tus-js-client is more than half of the app's code, so it is loaded with the first upload.

export type UploadState = 'queued' | 'uploading' | 'done' | 'duplicate' | 'failed';

export interface UploadItem {
  name: string;
  size: number;
  sent: number;
  state: UploadState;
  message: string;
}

export function totals(items: UploadItem[]): { sent: number; size: number; done: number } {
  let sent = 0;
  let size = 0;
  let done = 0;
  for (const item of items) {
    size += item.size;
    sent += item.state === 'done' || item.state === 'duplicate' ? item.size : item.sent;
    if (item.state === 'done' || item.state === 'duplicate') done++;
  }
  return { sent, size, done };
}

// Sends one file; `changed` is called whenever its item changes.
export async function send(file: File, item: UploadItem, changed: () => void): Promise<void> {
  let Upload: typeof import('tus-js-client').Upload;
  try {
    ({ Upload } = await import('tus-js-client'));
  } catch (e) {
    item.state = 'failed';
    item.message = `Could not load the uploader: ${(e as Error).message}`;
    changed();
    return;
  }
  return new Promise((resolve) => {
    let duplicate = false;
    const upload = new Upload(file, {
      endpoint: '/api/v1/uploads',
      chunkSize: 32 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 10000, 30000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      metadata: {
        filename: file.name,
        mtime: String(Math.floor(file.lastModified / 1000)),
      },
      onAfterResponse(_request, response) {
        if (response.getHeader('Shoebox-Duplicate') === 'true') duplicate = true;
      },
      onProgress(sent) {
        item.state = 'uploading';
        item.sent = sent;
        changed();
      },
      onSuccess() {
        item.state = duplicate ? 'duplicate' : 'done';
        item.message = duplicate ? 'already in your library' : '';
        item.sent = item.size;
        changed();
        resolve();
      },
      onError(error) {
        item.state = 'failed';
        const body = (error as { originalResponse?: { getBody(): string } }).originalResponse?.getBody();
        let message = error.message;
        try {
          message = JSON.parse(body ?? '').error.message ?? message;
        } catch {
          // not the server's JSON: keep tus-js-client's message
        }
        item.message = message;
        changed();
        resolve();
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}
