using System.Diagnostics;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Deployment;

/// <summary>
/// No container engine or cluster runs here, so the deployment files are checked by infra/validate: the Compose
/// schema, the Kubernetes schemas (unknown fields included), a Dockerfile linter and the operators' house rules.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Infra = Path.Combine(TestInfrastructure.RepositoryRoot, "infra");

    private static async Task<(int ExitCode, string Output)> ValidateAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(Infra, "validate", "check.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>A copy of a shipped file with one edit, in a scratch folder beside copies of what it refers to.</summary>
    private static string BrokenCopy(string relativePath, string find, string replace)
    {
        var source = Path.Combine(Infra, relativePath);
        var text = File.ReadAllText(source);
        Assert.That(text, Does.Contain(find), "the edit must apply to the shipped file");
        var scratch = Directory.CreateTempSubdirectory("deploy-").FullName;
        var copy = Path.Combine(scratch, Path.GetFileName(source));
        File.WriteAllText(copy, text.Replace(find, replace, StringComparison.Ordinal));
        return copy;
    }

    [Test]
    public async Task The_shipped_compose_file_manifests_Dockerfile_and_dashboard_are_valid()
    {
        var (exitCode, output) = await ValidateAsync();

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("OK: "));
    }

    [Test]
    public async Task A_misspelt_Kubernetes_field_is_named_with_its_file_and_line()
    {
        var copy = BrokenCopy("kubernetes/callcenter.yaml", "averageUtilization: 60", "averageUtilisation: 60");
        var line = File.ReadAllLines(copy).ToList().FindIndex(l => l.Contains("averageUtilisation", StringComparison.Ordinal)) + 1;

        var (exitCode, output) = await ValidateAsync("--kubernetes", copy);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(output, Does.Contain($"{copy}:{line}: HorizontalPodAutoscaler callcenter-server: unknown field 'averageUtilisation'"));
    }

    [Test]
    public async Task A_deployment_without_a_readiness_probe_on_health_is_refused()
    {
        var copy = BrokenCopy("kubernetes/callcenter.yaml", "path: /health/ready", "path: /ready");

        var (exitCode, output) = await ValidateAsync("--kubernetes", copy);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(output, Does.Contain("Deployment callcenter-server: container 'server' needs a readinessProbe on /health/*"));
    }

    [Test]
    public async Task A_secret_written_into_a_manifest_is_refused()
    {
        var copy = BrokenCopy("kubernetes/callcenter.yaml",
            "- { name: Twilio__AuthToken, valueFrom: { secretKeyRef: { name: callcenter-secrets, key: twilio-auth-token } } }",
            "- { name: Twilio__AuthToken, value: 0123456789abcdef }");

        var (exitCode, output) = await ValidateAsync("--kubernetes", copy);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(output, Does.Contain("Twilio__AuthToken is a secret; use valueFrom.secretKeyRef"));
    }

    [Test]
    public async Task An_image_running_as_root_is_refused()
    {
        var copy = BrokenCopy("container/Dockerfile", "USER app", "USER root");

        var (exitCode, output) = await ValidateAsync("--dockerfile", copy);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(output, Does.Contain("the runtime stage must switch to a non-root USER"));
    }

    [Test]
    public async Task A_compose_service_with_an_unknown_key_or_dependency_is_refused()
    {
        var copy = BrokenCopy("container/compose.yaml", "    depends_on: [otel-collector]", "    depends_on: [otel-colector]\n    restart_policy: always");

        var (exitCode, output) = await ValidateAsync("--compose", copy);

        Assert.Multiple(() =>
        {
            Assert.That(exitCode, Is.EqualTo(1));
            Assert.That(output, Does.Contain("compose schema: /services/prometheus must NOT have additional properties ('restart_policy')"));
            Assert.That(output, Does.Contain("service 'prometheus' depends on unknown service 'otel-colector'"));
        });
    }
}
