using CallCenter.Server.Hosting;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>Registers the recording archive: storage, keys, ingest, retention, integrity, access.</summary>
public static class ArchiveExtensions
{
    public static IHostApplicationBuilder AddArchive(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        RefuseMasterKeysInFiles(builder.Configuration);
        var services = builder.Services;
        services.AddOptions<ArchiveOptions>().BindConfiguration(ArchiveOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => TryPolicy(o), "Archive:Retention breaks the retention rules (every figure ≥ 1 year; fund transactions and complaints ≥ 5).")
            .ValidateOnStart();
        services.AddSingleton<ArchiveKeyRing>();
        services.AddSingleton<IArchiveStorage>(sp => sp.GetRequiredService<IOptions<ArchiveOptions>>().Value.Storage == "S3"
            ? ActivatorUtilities.CreateInstance<S3ArchiveStorage>(sp)
            : ActivatorUtilities.CreateInstance<LocalFolderArchiveStorage>(sp));
        services.AddSingleton<IArchiveIngestFaults, NoIngestFaults>();
        services.AddSingleton<ArchiveMetrics>();
        services.AddSingleton<TwilioRecordings>();
        services.AddSingleton<IngestSignal>();
        services.AddSingleton<ArchiveIngestor>();
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<ArchiveIntegrityCheck>();
        services.AddScoped<RecordingAccess>();
        services.AddSingleton<ArchiveIngestWorker>();
        services.AddSingleton<ArchiveMaintenanceWorker>();
        services.AddWorkerWhen<ArchiveIngestWorker, ArchiveOptions>(o => o.RunWorkers);
        services.AddWorkerWhen<ArchiveMaintenanceWorker, ArchiveOptions>(o => o.RunWorkers);
        services.AddAuthorizationBuilder().AddRecordingsPolicy();
        return builder;
    }

    private static bool TryPolicy(ArchiveOptions options)
    {
        try
        {
            options.RetentionPolicy();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A master key in appsettings or user secrets ends up in a repository or an image; only the environment may hold it.</summary>
    private static void RefuseMasterKeysInFiles(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root) return;
        foreach (var provider in root.Providers.OfType<JsonConfigurationProvider>())
        {
            if (provider.GetChildKeys([], $"{ArchiveOptions.SectionName}:{nameof(ArchiveOptions.MasterKeys)}").Any())
                throw new InvalidOperationException(
                    $"Archive master keys found in {provider.Source.Path}: set them only in the environment (Archive__MasterKeys__<id>).");
            if (provider.TryGet($"{ArchiveOptions.SectionName}:S3:{nameof(S3StorageOptions.SecretKey)}", out _))
                throw new InvalidOperationException(
                    $"The archive bucket's secret key found in {provider.Source.Path}: set it only in the environment (Archive__S3__SecretKey).");
        }
    }
}
