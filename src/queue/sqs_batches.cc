#include "queue/sqs_batches.h"

#include <cassert>
#include <charconv>

namespace estoque::queue {
namespace {

namespace sqs = aws::sqs;

Status EntryFailure(const sqs::BatchEntryFailure& failure, std::string_view what) {
  std::string message = std::string(what) + ": " + failure.code + ": " + failure.message;
  // A sender fault repeats if resent as is: it is a bug or a body SQS refuses, not a hiccup.
  return failure.sender_fault ? Status::Internal(std::move(message))
                              : Status::Unavailable(std::move(message));
}

// Fills results[first + i] for one batch's output (entry ids are decimal indexes from 0).
template <typename Output>
void Record(const aws::AwsResult<Output>& output, std::size_t first, std::size_t count,
            std::string_view what, std::vector<Status>* results) {
  if (!output.ok()) {
    const Status failed = SqsFailure(output.error(), what);
    for (std::size_t i = 0; i < count; ++i) (*results)[first + i] = failed;
    return;
  }
  for (const sqs::BatchEntryFailure& failure : output->failed) {
    std::size_t index = 0;
    const auto [end, error] =
        std::from_chars(failure.id.data(), failure.id.data() + failure.id.size(), index);
    if (error == std::errc() && end == failure.id.data() + failure.id.size() && index < count) (*results)[first + index] = EntryFailure(failure, what);
  }
}

}  // namespace

Status SqsFailure(const aws::AwsError& error, std::string_view what) {
  const Status status = error.ToStatus();
  std::string message = std::string(what) + ": " + error.ToString();
  if (status.code() == StatusCode::kResourceExhausted) return Status::ResourceExhausted(message);
  if (status.code() == StatusCode::kNotFound) return Status::NotFound(message);
  return Status::Unavailable(std::move(message));
}

std::vector<Status> SendBodies(sqs::SqsClient& client, std::string_view queue_url,
                               const std::vector<std::string>& bodies) {
  std::vector<Status> results(bodies.size(), Status::Ok());
  std::size_t first = 0;
  while (first < bodies.size()) {
    std::vector<sqs::SendEntry> entries;
    std::size_t bytes = 0;
    while (first + entries.size() < bodies.size() && entries.size() < sqs::kBatchEntriesMax) {
      const std::string& body = bodies[first + entries.size()];
      assert(!body.empty() && body.size() <= sqs::kBatchPayloadBytesMax);
      if (!entries.empty() && bytes + body.size() > sqs::kBatchPayloadBytesMax) break;
      bytes += body.size();
      entries.push_back({std::to_string(entries.size()), body, std::nullopt});
    }
    Record(client.SendMessageBatch(queue_url, entries), first, entries.size(), "SendMessageBatch",
           &results);
    first += entries.size();
  }
  return results;
}

std::vector<Status> DeleteReceipts(sqs::SqsClient& client, std::string_view queue_url,
                                   const std::vector<std::string>& receipt_handles) {
  std::vector<Status> results(receipt_handles.size(), Status::Ok());
  for (std::size_t first = 0; first < receipt_handles.size(); first += sqs::kBatchEntriesMax) {
    std::vector<sqs::ReceiptEntry> entries;
    for (std::size_t i = first; i < receipt_handles.size() && entries.size() < sqs::kBatchEntriesMax; ++i) {
      entries.push_back({std::to_string(entries.size()), receipt_handles[i]});
    }
    Record(client.DeleteMessageBatch(queue_url, entries), first, entries.size(),
           "DeleteMessageBatch", &results);
  }
  return results;
}

std::vector<Status> ChangeVisibility(sqs::SqsClient& client, std::string_view queue_url,
                                     const std::vector<std::string>& receipt_handles,
                                     int visibility_timeout_seconds) {
  std::vector<Status> results(receipt_handles.size(), Status::Ok());
  for (std::size_t first = 0; first < receipt_handles.size(); first += sqs::kBatchEntriesMax) {
    std::vector<sqs::VisibilityEntry> entries;
    for (std::size_t i = first; i < receipt_handles.size() && entries.size() < sqs::kBatchEntriesMax; ++i) {
      entries.push_back({std::to_string(entries.size()), receipt_handles[i], visibility_timeout_seconds});
    }
    Record(client.ChangeMessageVisibilityBatch(queue_url, entries), first, entries.size(),
           "ChangeMessageVisibilityBatch", &results);
  }
  return results;
}

}  // namespace estoque::queue
