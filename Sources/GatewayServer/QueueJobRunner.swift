import GatewayCore
import GatewayWire
import Logging

/// Runs one claimed job for `QueueWorker`: decodes the stored CompleteRequest and answers it through
/// `CompletionHandlers.run`, the same path as Complete (rate limit, budget reservation, usage charge), then classifies
/// any failure for the queue.
///
/// Each attempt is charged under its own request id (`<job id>.<claim token>`), so a re-run after a lost worker or a
/// retry is charged for the tokens it really used rather than deduplicated away. The result carries the caller's
/// request id, or the job id when the request had none.
struct QueueJobRunner: Sendable {
    let completions: CompletionHandlers
    let logger: Logger

    func run(_ claim: JobClaim) async -> JobStateMachine.RunResult {
        let request: Aigw_V1_CompleteRequest
        let neutral: CompletionRequest
        do {
            request = try Aigw_V1_CompleteRequest(serializedBytes: claim.job.payload)
            neutral = try WireMapping.completionRequest(request, requestID: "\(claim.job.id).\(claim.token)")
        } catch {
            return .failed(JobFailure(.permanent, "the stored request cannot be read: \(error)"))
        }
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(claim.job.id)"
        logger[metadataKey: "job.attempt"] = "\(claim.job.attempts)"
        do {
            let response = try await completions.run(
                neutral, requestID: request.requestId.isEmpty ? claim.job.id : request.requestId, logger: logger)
            return .answered(response.serializedBytes())
        } catch {
            let failure = JobFailure.classify(error.error, category: error.attempts.last?.error?.category)
            logger.debug("job attempt failed", metadata: ["error": "\(failure.message)"])
            return .failed(failure)
        }
    }
}
