"""The endpoint and checksum behaviour of the job's AWS clients."""

import pytest

from config.errors import ConfigError
from factories.aws_clients import aws_client_config, aws_endpoint


def test_the_service_endpoint_comes_before_the_general_one():
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
               "AWS_ENDPOINT_URL_S3": "https://s3.internal.example:9000"}
    assert aws_endpoint("s3", environ) == "https://s3.internal.example:9000"
    assert aws_endpoint("secretsmanager", environ) == "http://127.0.0.1:5000"
    assert aws_endpoint("s3", {}) is None
    assert aws_endpoint("s3", {"AWS_ENDPOINT_URL": "  "}) is None


@pytest.mark.parametrize("value", ["not a url", "s3.example.com", "ftp://host", "http://"])
def test_an_endpoint_that_is_not_a_url_is_a_configuration_error(value):
    with pytest.raises(ConfigError) as error:
        aws_endpoint("s3", {"AWS_ENDPOINT_URL": value})
    assert error.value.parameter == "AWS_ENDPOINT_URL"


def test_checksums_are_computed_only_when_an_operation_requires_them():
    config = aws_client_config()
    if hasattr(config, "request_checksum_calculation"):  # botocore 1.36 and later
        assert config.request_checksum_calculation == "when_required"
        assert config.response_checksum_validation == "when_required"
    assert config.connect_timeout == 10 and config.retries["max_attempts"] == 4


def test_a_region_boto3_refuses_is_a_configuration_error_naming_the_variable(monkeypatch):
    from factories.aws_clients import aws_client

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us east 1")
    with pytest.raises(ConfigError) as error:
        aws_client("s3")
    assert error.value.parameter == "AWS_DEFAULT_REGION"
    assert "'us east 1'" in str(error.value)
