using System.Runtime.CompilerServices;

namespace Slipway.Tools.Tests.Aws;

/// <summary>
/// The shared AWS config and credentials files of this test process. The AWS SDK reads them once per process and
/// caches them, so they are written, and AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE point at them, before any
/// test runs; no test ever reads the real ~/.aws. AWS_EC2_METADATA_DISABLED keeps every test off the instance
/// metadata endpoint. There is no [default] profile: without AWS_PROFILE, no profile has credentials.
/// </summary>
internal static class AwsTestProfiles
{
    public const string BaseAccessKeyId = "AKIABASEEXAMPLE";
    public const string RoleArn = "arn:aws:iam::123456789012:role/deploy";

    public static string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("slipway-aws-profiles-").FullName;

    [ModuleInitializer]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static void WriteAndPointTheSdkAtThem()
    {
        var printCredentials = Path.Combine(Directory, "print-credentials.sh");
        File.WriteAllText(printCredentials, """
            #!/bin/sh
            # The output AWS documents for credential_process (Version 1).
            printf '%s\n' '{"Version": 1, "AccessKeyId": "ASIAPROCESSEXAMPLE", "SecretAccessKey": "process-secret", "SessionToken": "process-token", "Expiration": "2030-01-01T00:00:00Z"}'
            """);
        File.SetUnixFileMode(printCredentials, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var config = Path.Combine(Directory, "config");
        File.WriteAllText(config, $"""
            [profile from-process]
            credential_process = {printCredentials}

            [profile failing-process]
            credential_process = /bin/sh -c "echo 'token expired, log in again' >&2; exit 3"

            [profile deploy-role]
            role_arn = {RoleArn}
            source_profile = base
            role_session_name = slipway-test
            region = eu-west-1
            """);
        var credentials = Path.Combine(Directory, "credentials");
        File.WriteAllText(credentials, $"""
            [base]
            aws_access_key_id = {BaseAccessKeyId}
            aws_secret_access_key = base-secret

            [static]
            aws_access_key_id = AKIASTATICEXAMPLE
            aws_secret_access_key = static-secret
            """);

        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", config);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", credentials);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
