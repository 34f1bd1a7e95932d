// Batched SQS calls shared by the SQS queue and its dead-letter queue: lists of any length cut
// into SQS batches (at most aws::sqs::kBatchEntriesMax entries, and for sends at most
// aws::sqs::kBatchPayloadBytesMax of bodies), with one Status per element. Entry failures and
// whole-call failures are reported per element; nothing is retried here beyond the client's own
// retries (aws/retry.h). Thread-safe as the client is.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/sqs_client.h"
#include "common/status.h"

namespace estoque::queue {

// The Status a caller of the queue acts on for a failed SQS call: ResourceExhausted when SQS
// throttled, NotFound when the queue does not exist, Unavailable for everything else (transport,
// 5xx, and 4xx such as access denied, which a retry will not fix but an operator will).
Status SqsFailure(const aws::AwsError& error, std::string_view what);

// Sends `bodies` to `queue_url`. Element i is Ok once SQS accepted bodies[i].
// REQUIRES: every body non-empty and at most aws::sqs::kBatchPayloadBytesMax bytes.
std::vector<Status> SendBodies(aws::sqs::SqsClient& client, std::string_view queue_url,
                               const std::vector<std::string>& bodies);

// Deletes the received messages `receipt_handles` from `queue_url`.
std::vector<Status> DeleteReceipts(aws::sqs::SqsClient& client, std::string_view queue_url,
                                   const std::vector<std::string>& receipt_handles);

// Sets the visibility timeout of the received messages `receipt_handles` to
// `visibility_timeout_seconds` from now (0: visible at once).
std::vector<Status> ChangeVisibility(aws::sqs::SqsClient& client, std::string_view queue_url,
                                     const std::vector<std::string>& receipt_handles,
                                     int visibility_timeout_seconds);

}  // namespace estoque::queue
