"""What the application's tests share.

* The harness: the stack deployed into an in-process moto from ``template.yaml`` (:mod:`.stack`), the
  in-process Lambda runner (:mod:`.inprocess`), the saga driver (:mod:`.saga`), SQS delivery
  (:mod:`.sqs_event_source`) and a fake Lambda context (:mod:`.lambda_context`).
* The one seam to the project's tools (``tools/``): :mod:`.template`, :mod:`.local_cloud`,
  :mod:`.audit` and :mod:`.iam`. No other test module imports the tools (ruff's banned-api rule).
"""
