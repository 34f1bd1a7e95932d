// SqsClient: the low-level SQS client the SQS queue backend is built on. It speaks SQS's AWS JSON
// 1.0 protocol (X-Amz-Target: AmazonSQS.<Operation>, the protocol of current SDKs) through a
// JsonProtocolClient: SigV4-signed for "sqs", pooled keep-alive connections, timeouts and the
// standard retries (retry.h).
//
// Every request goes to the configured endpoint. A queue URL is only a parameter (QueueUrl), never
// the address the request is sent to, as the AWS SDKs do: emulators answer URLs whose host
// (sqs.<region>.localhost) need not resolve.
//
// Batches are checked before sending (at most kBatchEntriesMax entries, distinct valid ids, at most
// kBatchPayloadBytesMax of bodies in all): a batch that breaks a rule is refused with SQS's own
// error code and nothing is sent. A batch the service accepts may still fail entry by entry; the
// output lists each failed entry, and the caller decides.
//
// Errors are AwsErrors with SQS's code: QueueDoesNotExist (ToStatus: NotFound),
// InvalidParameterValue, ReceiptHandleIsInvalid, TooManyEntriesInBatchRequest, ... Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "aws/aws_error.h"
#include "aws/client_config.h"
#include "aws/json_protocol_client.h"

namespace estoque::aws::sqs {

inline constexpr std::string_view kTargetPrefix = "AmazonSQS";
inline constexpr std::string_view kSigningName = "sqs";

// SQS's limits on one batch (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch).
inline constexpr std::size_t kBatchEntriesMax = 10;
inline constexpr std::size_t kBatchEntryIdBytesMax = 80;
// The sum of the message bodies of one SendMessageBatch, and so of one message. SQS has accepted
// up to 1 MiB since 2025 (and fauxqs does); 256 KiB is the limit of issue 6 and of every queue
// whatever its MaximumMessageSize, so a batch we send is accepted by any queue.
inline constexpr std::size_t kBatchPayloadBytesMax = 256u * 1024u;
// ReceiveMessage: at most this many messages per call, and a long poll of at most this long.
inline constexpr int kReceiveMessagesMax = 10;
inline constexpr int kWaitTimeSecondsMax = 20;
// A visibility timeout is 0 s to 12 hours.
inline constexpr int kVisibilityTimeoutSecondsMax = 43200;

// Codes of the batch refusals, SQS's own (the local check uses them too).
inline constexpr std::string_view kEmptyBatchRequestCode = "EmptyBatchRequest";
inline constexpr std::string_view kTooManyEntriesCode = "TooManyEntriesInBatchRequest";
inline constexpr std::string_view kBatchRequestTooLongCode = "BatchRequestTooLong";
inline constexpr std::string_view kBatchEntryIdsNotDistinctCode = "BatchEntryIdsNotDistinct";
inline constexpr std::string_view kInvalidBatchEntryIdCode = "InvalidBatchEntryId";
inline constexpr std::string_view kInvalidParameterValueCode = "InvalidParameterValue";

struct ClientOptions {
  // ReceiveMessage holds the connection for up to its WaitTimeSeconds, so its calls get a total
  // timeout of kWaitTimeSecondsMax plus this margin (or the config's request_timeout when longer).
  // The other operations keep the config's request_timeout. REQUIRES: > 0.
  std::chrono::milliseconds long_poll_timeout_margin{5000};
};

// Attribute names of a queue (CreateQueue, GetQueueAttributes) to their values, as SQS sends them
// (all strings: "VisibilityTimeout" -> "30").
using QueueAttributes = std::map<std::string, std::string>;

struct CreateQueueRequest {
  std::string queue_name;
  QueueAttributes attributes;  // VisibilityTimeout, RedrivePolicy (RedrivePolicy()), ...
};

// The RedrivePolicy attribute's value: after `max_receive_count` receives without a delete, a
// message moves to the dead-letter queue `dead_letter_queue_arn`. REQUIRES: max_receive_count
// in [1, 1000].
std::string RedrivePolicy(std::string_view dead_letter_queue_arn, int max_receive_count);

struct SendEntry {
  std::string id;    // unique in the batch: [A-Za-z0-9_-], 1..80 bytes
  std::string body;  // non-empty; SQS refuses (per entry) characters outside XML's
  std::optional<int> delay_seconds;
};

// An entry the service refused while accepting the batch.
struct BatchEntryFailure {
  std::string id;
  std::string code;  // "InvalidMessageContents", "ReceiptHandleIsInvalid", ...
  std::string message;
  bool sender_fault = false;  // true: resending the same entry fails again
};

struct SentMessage {
  std::string id;          // the entry's id
  std::string message_id;  // SQS's
  std::string md5_of_body;
};

struct SendBatchOutput {
  std::vector<SentMessage> successful;
  std::vector<BatchEntryFailure> failed;
  bool complete() const { return failed.empty(); }
};

struct ReceiveRequest {
  std::string queue_url;
  int max_messages = kReceiveMessagesMax;     // 1..kReceiveMessagesMax
  int wait_time_seconds = kWaitTimeSecondsMax;  // 0..kWaitTimeSecondsMax; 0 is a short poll
  // The queue's VisibilityTimeout when unset. 0..kVisibilityTimeoutSecondsMax.
  std::optional<int> visibility_timeout_seconds;
  // System attributes to return with each message.
  std::vector<std::string> system_attribute_names = {"ApproximateReceiveCount",
                                                     "SentTimestamp"};
};

struct Message {
  std::string message_id;
  std::string receipt_handle;  // names this receive: Delete / ChangeVisibility take it
  std::string body;
  std::string md5_of_body;
  std::map<std::string, std::string> attributes;  // the system attributes asked for

  // ApproximateReceiveCount, or 0 when it was not asked for.
  int receive_count() const;
};

struct ReceiptEntry {
  std::string id;  // unique in the batch, as SendEntry::id
  std::string receipt_handle;
};

struct VisibilityEntry {
  std::string id;
  std::string receipt_handle;
  int visibility_timeout_seconds = 0;  // from now; 0..kVisibilityTimeoutSecondsMax
};

struct BatchOutput {
  std::vector<std::string> successful_ids;
  std::vector<BatchEntryFailure> failed;
  bool complete() const { return failed.empty(); }
};

class SqsClient {
 public:
  explicit SqsClient(AwsClientConfig config, ClientOptions options = {});

  // Sends operation `operation` ("ListQueues") with `body`; the response object, or the AwsError.
  AwsResult<boost::json::object> Call(std::string_view operation, const boost::json::object& body);

  // Creates the queue (or returns the URL of an existing one with the same attributes: SQS's
  // CreateQueue is idempotent; other attributes give QueueAlreadyExists). Returns its URL.
  AwsResult<std::string> CreateQueue(const CreateQueueRequest& request);
  // The URL of queue `queue_name`; QueueDoesNotExist when there is none.
  AwsResult<std::string> GetQueueUrl(std::string_view queue_name);
  // The attributes `names` ("All" for every one; "QueueArn", "ApproximateNumberOfMessages",
  // "ApproximateNumberOfMessagesNotVisible", ...). REQUIRES: names non-empty.
  AwsResult<QueueAttributes> GetQueueAttributes(std::string_view queue_url,
                                                const std::vector<std::string>& names = {"All"});
  AwsResult<Done> DeleteQueue(std::string_view queue_url);
  // Deletes every message of the queue. SQS allows one purge per queue every 60 s
  // (PurgeQueueInProgress).
  AwsResult<Done> PurgeQueue(std::string_view queue_url);

  // Sends up to kBatchEntriesMax messages. Refused before sending, with SQS's code, for no
  // entries (EmptyBatchRequest), too many (TooManyEntriesInBatchRequest), ids not distinct
  // (BatchEntryIdsNotDistinct) or invalid (InvalidBatchEntryId), an empty body
  // (InvalidParameterValue), or bodies over kBatchPayloadBytesMax in all (BatchRequestTooLong).
  AwsResult<SendBatchOutput> SendMessageBatch(std::string_view queue_url,
                                              const std::vector<SendEntry>& entries);

  // Receives up to max_messages messages, waiting up to wait_time_seconds for the first one (an
  // empty vector when none came). Each received message stays invisible to other receivers for
  // the visibility timeout; it comes back unless deleted. InvalidParameterValue (not sent) when a
  // field is out of range.
  AwsResult<std::vector<Message>> ReceiveMessage(const ReceiveRequest& request);

  // Deletes received messages by receipt handle. Refused before sending as SendMessageBatch
  // (count, ids); an entry whose handle is not valid is a failed entry.
  AwsResult<BatchOutput> DeleteMessageBatch(std::string_view queue_url,
                                            const std::vector<ReceiptEntry>& entries);
  // Sets the visibility timeout of received messages, counted from now (extends or shortens it;
  // 0 makes a message visible at once). Refused before sending as DeleteMessageBatch, and for a
  // timeout out of range.
  AwsResult<BatchOutput> ChangeMessageVisibilityBatch(std::string_view queue_url,
                                                      const std::vector<VisibilityEntry>& entries);

  // The transport of ReceiveMessage (its longer timeout) and of every other call.
  const JsonProtocolClient& receive_transport() const { return receive_client_; }
  const JsonProtocolClient& transport() const { return client_; }

 private:
  JsonProtocolClient client_;
  JsonProtocolClient receive_client_;
};

// The config ReceiveMessage calls use: `config` with request_timeout at least kWaitTimeSecondsMax
// plus options.long_poll_timeout_margin (exposed for tests).
AwsClientConfig LongPollConfig(AwsClientConfig config, const ClientOptions& options);

}  // namespace estoque::aws::sqs
