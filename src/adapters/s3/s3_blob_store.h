// The BlobStore on an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage), so several
// server instances share originals, derived files and the bytes of uploads in progress.
//
// Layout inside the bucket, under `prefix`:
//   <key>                                    a stored blob, e.g. "library/alice/2023/01/a.jpg"
//   staging/<upload id>/<start offset>       one chunk of an upload in progress; the offset is
//                                            zero-padded to 20 digits so names sort by offset
// S3 cannot append, so each StagingWriter::Sync() stores the bytes written since the previous
// one as a new chunk; the staging area is the chunks that run contiguously from offset 0.
// OpenStaging(offset) drops chunks at or past `offset` and rewrites the one that straddles it.
// CommitStaging copies the chunks into the key (one PUT, or a multipart upload past
// `part_bytes`), tagging the object with the upload id (x-amz-meta-shoebox-upload), which is
// what makes the commit idempotent and RemoveCommitted safe.
//
// Every request is signed with AWS Signature Version 4 (by libcurl), carries the SHA-256 of its
// body (so the store refuses bytes damaged on the way), and is retried on 5xx, 429/503 SlowDown
// and network failures with exponential backoff and jitter. A blob is written with
// `If-None-Match: *`, so on stores that honour it (AWS since 2024, MinIO) two writers racing for
// one key cannot both win; elsewhere the check before the write is all there is.
//
// Error codes as in ports/blob_store.h; besides: a store still failing after the retries, or
// unreachable, is kUnavailable; refused credentials (HTTP 403) are kInternal with a message that
// says so; messages carry S3's error code ("NoSuchBucket", "SlowDown"...).
//
// Thread-safe. Reads stream in windows of a few MiB (separate Range requests), so memory stays
// small whatever the object's size; writers buffer up to 8 MiB before storing a chunk.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ports/blob_store.h"

namespace shoebox::s3 {

struct S3Options {
  // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com"; a path after the host
  // (a store behind a reverse proxy) is kept.
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key, secret_key;
  // true: http://host/bucket/key. false: virtual-host addressing, http://bucket.host/key (what
  // AWS prefers; needs DNS, or a name under .localhost, for bucket.host).
  bool path_style = true;
  // Prepended to every object name, e.g. "shoebox/" to share a bucket; used as given.
  std::string prefix;
  // Objects larger than this are written as multipart uploads of parts this size, clamped to
  // S3's limits (5 MiB to 5 GiB a part, at most 10,000 parts: grown for very large objects).
  std::int64_t part_bytes = 16 * 1024 * 1024;
  // Tries per request (1 = no retry).
  int max_attempts = 5;
  // A local folder for temporary files (the bytes of one part at a time); created if missing.
  // Empty: the system's temporary folder.
  std::string work_dir;
};

// Checks the options and that the bucket answers (HEAD bucket): kBadRequest for unusable
// options, kNotFound for a missing bucket, kUnavailable for an unreachable store, kInternal for
// refused credentials.
Result<std::unique_ptr<BlobStore>> OpenS3BlobStore(const S3Options& options);

// Maintenance: aborts the multipart uploads under the store's prefix that were started more than
// `older_than_millis` ago by the store's clock (commits that died half-way leave them behind, and
// S3 bills their parts until they are aborted). Returns how many were aborted. `store` must come
// from OpenS3BlobStore (else kBadRequest). A commit still running that long is aborted too and
// fails cleanly, so pass hours, not seconds.
Result<int> AbortStaleMultipartUploads(BlobStore& store, std::int64_t older_than_millis);

}  // namespace shoebox::s3
