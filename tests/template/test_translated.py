"""The template as CloudFormation deploys it: translated offline by aws-sam-translator (the
library behind the AWS::Serverless transform), then checked for everything the functions expect
to find: the table, the queues, the bus, their names in each function's environment, the worker's
two event source mappings, the trigger's rule and the API routes of shared/service/src/api.rs."""

from __future__ import annotations

import json
import os
import re
import tomllib
import unittest
from pathlib import Path

from samtranslator.translator.transform import transform

import least_privilege as lp

ROOT = Path(__file__).resolve().parents[2]


class FakeManagedPolicies:
    """Stands in for the IAM ListPolicies call the translator makes to resolve managed policy
    names (none are used: every role is written in the template)."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AWSLambdaSQSQueueExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        }


def translate() -> tuple[dict, dict]:
    # The translator fills in pseudo parameters from a boto3 session's region; it calls no AWS
    # API (managed policies come from FakeManagedPolicies).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sam = json.loads(json.dumps(lp.load_template(ROOT / "template.yaml")))
    packaged = json.loads(json.dumps(sam))
    for logical_id, resource in packaged["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            # What `sam package` does: the built code goes to S3 and CodeUri names it.
            resource["Properties"]["CodeUri"] = f"s3://quickstep-artifacts/{logical_id}.zip"
    cfn = transform(packaged, {}, FakeManagedPolicies())
    return sam, cfn


def api_routes() -> set[str]:
    """The routes the API answers, read from the service's router:
    `("PUT", ["state-machines", machine])` is `PUT /state-machines/{}`; and `POST /`, the Step
    Functions API."""
    code = (ROOT / "shared/service/src/api.rs").read_text()
    routes = set()
    for method, segments in re.findall(r'\(\s*"(GET|PUT|POST|DELETE|PATCH)"\s*,\s*\[([^\]]*)\]\s*\)', code):
        parts = [s.strip() for s in segments.split(",") if s.strip()]
        routes.add(method + " /" + "/".join(p.strip('"') if p.startswith('"') else "{}" for p in parts))
    # `POST /` with X-Amz-Target is the Step Functions API, answered before the REST router.
    if ".step_functions(" in code:
        routes.add("POST /")
    return routes


def getatt(logical_id: str, attribute: str = "Arn") -> dict:
    return {"Fn::GetAtt": [logical_id, attribute]}


class Translated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sam, cls.cfn = translate()
        cls.resources = cls.cfn["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def props(self, logical_id: str) -> dict:
        return self.resources[logical_id]["Properties"]

    def find_in_map(self, value) -> int:
        _, top, second = value["Fn::FindInMap"]
        return int(self.sam["Mappings"][_][top][second])

    def test_the_table_as_the_store_uses_it(self):
        table = self.props("ExecutionsTable")
        self.assertEqual(self.resources["ExecutionsTable"]["Type"], "AWS::DynamoDB::Table")
        self.assertEqual(table["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(
            sorted((k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]),
            [("pk", "HASH"), ("sk", "RANGE")])
        self.assertEqual(
            sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]),
            [("listPk", "S"), ("listSk", "S"), ("pk", "S"), ("sk", "S")])
        # The listing index, as shared/aws/src/store/listing.rs queries it.
        (index,) = table["GlobalSecondaryIndexes"]
        self.assertEqual(index["IndexName"], "Listing")
        self.assertEqual(
            sorted((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
            [("listPk", "HASH"), ("listSk", "RANGE")])
        self.assertEqual(index["Projection"],
                         {"ProjectionType": "INCLUDE",
                          "NonKeyAttributes": ["status", "stopDate", "created", "type", "versionArn", "aliasArn"]})
        self.assertEqual(table["TimeToLiveSpecification"], {"AttributeName": "expiresAt", "Enabled": True})
        self.assertEqual(table["PointInTimeRecoverySpecification"], {"PointInTimeRecoveryEnabled": True})

    def test_the_queues(self):
        step, dead = self.props("StepQueue"), self.props("DeadLetterQueue")
        self.assertEqual(step["RedrivePolicy"]["deadLetterTargetArn"], getatt("DeadLetterQueue"))
        self.assertGreaterEqual(step["RedrivePolicy"]["maxReceiveCount"], 5)
        worker_timeout = self.find_in_map(self.props("WorkerFunction")["Timeout"])
        for queue in (step, dead):
            # AWS: at least six times the timeout of the function the queue feeds.
            self.assertGreaterEqual(self.find_in_map(queue["VisibilityTimeout"]), 6 * worker_timeout)
        self.assertGreater(dead["MessageRetentionPeriod"], step["MessageRetentionPeriod"])
        self.assertEqual(self.resources["EventBus"]["Type"], "AWS::Events::EventBus")

    def test_functions_and_their_environment(self):
        functions = self.of_type("AWS::Lambda::Function")
        self.assertEqual(set(functions), {"ApiFunction", "WorkerFunction", "TriggerFunction"})
        for fid, function in functions.items():
            p = function["Properties"]
            self.assertEqual((p["Runtime"], p["Handler"], p["Architectures"]), ("provided.al2023", "bootstrap", ["arm64"]))
            self.assertEqual(p["Role"], getatt(fid.replace("Function", "Role")))
            env = p["Environment"]["Variables"]
            self.assertEqual(env["QUICKSTEP_TABLE"], {"Ref": "ExecutionsTable"})
            self.assertEqual(env["QUICKSTEP_STEP_QUEUE_URL"], {"Ref": "StepQueue"})  # a queue's Ref is its URL
            self.assertEqual(env["QUICKSTEP_EVENT_BUS"], {"Ref": "EventBus"})  # a bus's Ref is its name
            self.assertEqual(env["QUICKSTEP_ACCOUNT_ID"], {"Ref": "AWS::AccountId"})
            self.assertEqual(p["LoggingConfig"]["LogGroup"], {"Ref": fid.replace("Function", "LogGroup")})
            self.assertEqual(p["LoggingConfig"]["LogFormat"], "JSON")
        self.assertEqual(self.props("WorkerFunction")["Environment"]["Variables"]["QUICKSTEP_DEAD_LETTER_QUEUE_ARN"],
                         getatt("DeadLetterQueue"))
        trigger = self.props("TriggerFunction")["Environment"]["Variables"]
        self.assertEqual(trigger["QUICKSTEP_STATE_MACHINE"], {"Ref": "TriggerStateMachine"})
        self.assertEqual(trigger["QUICKSTEP_TRIGGER_MODE"], {"Ref": "TriggerMode"})

    def test_sam_generates_no_role(self):
        # Every role is ours (tests/template/least_privilege.py checks what they allow).
        self.assertEqual(set(self.of_type("AWS::IAM::Role")), {"ApiRole", "WorkerRole", "TriggerRole"})

    def test_the_worker_reads_both_queues_with_partial_batch_responses(self):
        mappings = self.of_type("AWS::Lambda::EventSourceMapping").values()
        by_queue = {json.dumps(m["Properties"]["EventSourceArn"]): m["Properties"] for m in mappings}
        self.assertEqual(set(by_queue), {json.dumps(getatt("StepQueue")), json.dumps(getatt("DeadLetterQueue"))})
        for props in by_queue.values():
            self.assertEqual(props["FunctionName"], {"Ref": "WorkerFunction"})
            self.assertEqual(props["FunctionResponseTypes"], ["ReportBatchItemFailures"])

    def test_the_example_rule_starts_the_trigger(self):
        rules = self.of_type("AWS::Events::Rule")
        self.assertEqual(len(rules), 1)
        rule = next(iter(rules.values()))["Properties"]
        self.assertEqual(rule["EventBusName"], {"Ref": "EventBus"})
        self.assertEqual([t["Arn"] for t in rule["Targets"]], [getatt("TriggerFunction")])
        permissions = [p["Properties"] for p in self.of_type("AWS::Lambda::Permission").values()]
        self.assertIn(("events.amazonaws.com", {"Ref": "TriggerFunction"}),
                      [(p["Principal"], p["FunctionName"]) for p in permissions])

    def test_the_worker_may_run_in_a_recursive_loop(self):
        # Every step of an asynchronous execution is an SQS message the worker sends to the
        # queue that invokes it. Lambda's recursive loop detection (Terminate, the default)
        # would stop that chain after about 16 invocations: no execution could take more steps.
        self.assertEqual(self.props("WorkerFunction").get("RecursiveLoop"), "Allow")
        # The other functions are not in a loop of their own: they keep Lambda's default.
        for fid in ("ApiFunction", "TriggerFunction"):
            self.assertNotIn("RecursiveLoop", self.props(fid))

    def test_the_worker_concurrency_is_capped(self):
        mappings = self.of_type("AWS::Lambda::EventSourceMapping").values()
        scaling = {json.dumps(m["Properties"]["EventSourceArn"]): m["Properties"].get("ScalingConfig")
                   for m in mappings}
        self.assertEqual(scaling, {
            json.dumps(getatt("StepQueue")): {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}},
            json.dumps(getatt("DeadLetterQueue")): {"MaximumConcurrency": 2},
        })
        cap = self.sam["Parameters"]["WorkerMaxConcurrency"]
        # AWS allows 2 to 1000 for an SQS event source's maximum concurrency.
        self.assertEqual((cap["MinValue"], cap["MaxValue"]), (2, 1000))
        self.assertTrue(2 <= cap["Default"] <= 1000, cap)
        reserved = self.sam["Parameters"]["WorkerReservedConcurrency"]
        self.assertEqual(self.props("WorkerFunction")["ReservedConcurrentExecutions"], {
            "Fn::If": ["HasWorkerReservedConcurrency", {"Ref": "WorkerReservedConcurrency"}, {"Ref": "AWS::NoValue"}]})
        # None reserved unless asked: reserving takes concurrency from every other function.
        self.assertEqual(self.sam["Conditions"]["HasWorkerReservedConcurrency"],
                         {"Fn::Not": [{"Fn::Equals": [{"Ref": "WorkerReservedConcurrency"}, reserved["Default"]]}]})
        self.assertEqual(reserved["Default"], -1)

    def test_a_failed_start_is_never_lost(self):
        queue = getatt("TriggerDeadLetterQueue")
        self.assertEqual(self.resources["TriggerDeadLetterQueue"]["Type"], "AWS::SQS::Queue")
        self.assertNotIn("FifoQueue", self.props("TriggerDeadLetterQueue"))  # EventBridge needs a standard queue
        # Delivery that failed (EventBridge -> Lambda): the rule target's retries, then the queue.
        rules = self.of_type("AWS::Events::Rule")
        (rule_id, rule), = rules.items()
        (target,) = rule["Properties"]["Targets"]
        self.assertEqual(target["DeadLetterConfig"], {"Arn": queue})
        self.assertEqual(set(target["RetryPolicy"]), {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"})
        # ... which EventBridge may send to, from that rule only.
        (policy,) = self.of_type("AWS::SQS::QueuePolicy").values()
        self.assertEqual(policy["Properties"]["Queues"], [{"Ref": "TriggerDeadLetterQueue"}])
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual(
            (statement["Effect"], statement["Principal"], statement["Action"], statement["Resource"]),
            ("Allow", {"Service": "events.amazonaws.com"}, "sqs:SendMessage", queue))
        self.assertEqual(statement["Condition"], {"ArnEquals": {"aws:SourceArn": getatt(rule_id)}})
        # An invocation that failed (the trigger's error): Lambda's retries, then the queue.
        (config,) = self.of_type("AWS::Lambda::EventInvokeConfig").values()
        p = config["Properties"]
        self.assertEqual(p["FunctionName"], {"Ref": "TriggerFunction"})
        self.assertEqual(p["DestinationConfig"], {"OnFailure": {"Destination": queue}})
        # Lambda sends it with the function's role (least_privilege.py checks it may).
        # And someone hears of it.
        alarm = self.props("TriggerDeadLetterAlarm")
        self.assertEqual(alarm["Dimensions"], [{"Name": "QueueName", "Value": getatt("TriggerDeadLetterQueue", "QueueName")}])
        self.assertEqual((alarm["ComparisonOperator"], alarm["Threshold"]), ("GreaterThanOrEqualToThreshold", 1))

    def test_every_api_route_reaches_the_api_function(self):
        expected = api_routes()
        self.assertEqual(len(expected), 12, expected)
        routes = self.of_type("AWS::ApiGatewayV2::Route").values()
        found = {re.sub(r"\{[^}]*\}", "{}", r["Properties"]["RouteKey"]) for r in routes}
        self.assertEqual(found, expected)
        integration = self.props("HttpApiIntegration")
        self.assertEqual(integration["IntegrationUri"], getatt("ApiFunction"))
        self.assertEqual(integration["IntegrationType"], "AWS_PROXY")
        for route in routes:
            p = route["Properties"]
            self.assertEqual(p["Target"], {"Fn::Sub": "integrations/${HttpApiIntegration}"})
            # IAM unless the ApiAuthorization parameter says NONE.
            self.assertEqual(p["AuthorizationType"], {"Fn::If": ["OpenApi", "NONE", "AWS_IAM"]})
        self.assertEqual(self.sam["Parameters"]["ApiAuthorization"]["Default"], "AWS_IAM")
        permission = self.props("HttpApiPermission")
        self.assertEqual((permission["Principal"], permission["FunctionName"]),
                         ("apigateway.amazonaws.com", {"Ref": "ApiFunction"}))
        # The API function answers before API Gateway's 30-second integration limit.
        self.assertLess(self.find_in_map(self.props("ApiFunction")["Timeout"]) * 1000, integration["TimeoutInMillis"])

    def test_the_api_function_has_a_function_url_with_iam_authorization(self):
        urls = self.of_type("AWS::Lambda::Url")
        self.assertEqual(set(urls), {"ApiFunctionUrl"})
        url = urls["ApiFunctionUrl"]["Properties"]
        self.assertEqual((url["AuthType"], url["TargetFunctionArn"]), ("AWS_IAM", {"Ref": "ApiFunction"}))
        # No permission opens it to everyone (SAM adds one only for AuthType NONE).
        for permission in self.of_type("AWS::Lambda::Permission").values():
            self.assertNotEqual(permission["Properties"].get("FunctionUrlAuthType"), "NONE")
            self.assertNotEqual(permission["Properties"]["Principal"], "*")
        self.assertEqual(self.cfn["Outputs"]["ApiFunctionUrl"]["Value"], getatt("ApiFunctionUrl", "FunctionUrl"))

    def test_the_dead_letter_alarm_watches_the_dead_letter_queue(self):
        alarm = self.props("DeadLetterAlarm")
        queues = {json.dumps(m["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
                  for m in alarm["Metrics"] if "MetricStat" in m}
        self.assertEqual(queues, {json.dumps(getatt("DeadLetterQueue", "QueueName"))})

    def test_the_failure_alarm_and_the_dashboard_watch_metrics_the_functions_write(self):
        code = "\n".join(p.read_text() for p in (ROOT / "shared/service/src/telemetry").glob("*.rs"))
        code += (ROOT / "shared/service/src/worker.rs").read_text() + (ROOT / "shared/service/src/commit.rs").read_text()
        code += (ROOT / "shared/service/src/control.rs").read_text()
        alarm = self.props("ExecutionFailuresAlarm")
        watched = {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
        self.assertEqual(watched, {"ExecutionsFailed", "ExecutionsTimedOut"})
        for m in alarm["Metrics"]:
            if "MetricStat" in m:
                metric = m["MetricStat"]["Metric"]
                # The aggregate over every state machine: no dimensions.
                self.assertEqual((metric["Namespace"], metric.get("Dimensions")), ("quickstep", None))
        body = self.props("Dashboard")["DashboardBody"]["Fn::Sub"]
        dashboard = json.loads(re.sub(r"\$\{[^}]*\}", "x", body))
        names = set()
        for widget in dashboard["widgets"]:
            for metric in widget["properties"].get("metrics", []):
                if isinstance(metric[0], str):
                    names.add(metric[1])
                else:
                    names.update(re.findall(r'MetricName="([A-Za-z]+)"', metric[0]["expression"]))
        self.assertGreaterEqual(len(names), 10)
        for name in names:
            self.assertIn(f'"{name}"', code, f"the dashboard shows {name}, which nothing writes")
        env = self.props("WorkerFunction")["Environment"]["Variables"]
        self.assertEqual((env["QUICKSTEP_LOG_LEVEL"], env["QUICKSTEP_LOG_INCLUDE_EXECUTION_DATA"]),
                         ({"Ref": "ExecutionLogLevel"}, {"Ref": "ExecutionLogIncludesData"}))

    def test_log_groups_keep_logs_for_a_while(self):
        groups = self.of_type("AWS::Logs::LogGroup")
        self.assertEqual(set(groups), {"ApiLogGroup", "WorkerLogGroup", "TriggerLogGroup"})
        for group in groups.values():
            self.assertEqual(group["Properties"]["RetentionInDays"], {"Ref": "LogRetentionDays"})

    def test_outputs(self):
        self.assertLessEqual(
            {"ApiUrl", "ExecutionsTableName", "StepQueueUrl", "DeadLetterQueueUrl", "EventBusName",
             "TriggerDeadLetterQueueUrl"},
            set(self.cfn["Outputs"]))


class SamConfig(unittest.TestCase):
    def test_build_and_deploy_settings(self):
        config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
        self.assertEqual(config["global"]["parameters"]["stack_name"], "quickstep")
        # SAM's build cache hashes only a function's CodeUri folder, not the shared/ crates.
        self.assertFalse(config["build"]["parameters"]["cached"])
        self.assertTrue(config["build"]["parameters"]["parallel"])
        self.assertTrue(config["validate"]["parameters"]["lint"])
        deploy = config["deploy"]["parameters"]
        self.assertTrue(deploy["resolve_s3"])
        self.assertTrue(deploy["confirm_changeset"])
        # The template creates IAM roles, none with a fixed name (which would need CAPABILITY_NAMED_IAM).
        self.assertEqual(deploy["capabilities"], "CAPABILITY_IAM")
        sam = lp.load_template(ROOT / "template.yaml")
        roles = [r for r in sam["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
        self.assertTrue(roles)
        self.assertFalse([r for r in roles if "RoleName" in r["Properties"]])


if __name__ == "__main__":
    unittest.main()
