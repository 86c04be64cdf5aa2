using CallCenter.Server.Hosting;

namespace CallCenter.Server.Complaints;

/// <summary>Wires the complaint desk: options validated at start, the desk services, the worker and the API.</summary>
public static class ComplaintExtensions
{
    public static IServiceCollection AddComplaints(this IServiceCollection services)
    {
        services.AddOptions<ComplaintOptions>().BindConfiguration(ComplaintOptions.SectionName).ValidateDataAnnotations()
            .Validate(TryPolicy, "Complaints: every limit must be positive, the warning lead not negative, the time zone known.").ValidateOnStart();
        services.AddScoped<ComplaintDesk>();
        services.AddScoped<ComplaintIntake>();
        services.AddScoped<ComplaintDeadlineWatch>();
        services.AddSingleton<ComplaintWorker>();
        services.AddSingleton<ComplaintReportWorker>();
        services.AddWorkerWhen<ComplaintWorker, ComplaintOptions>(o => o.RunWorkers);
        services.AddWorkerWhen<ComplaintReportWorker, ComplaintOptions>(o => o.RunWorkers);
        return services;
    }

    public static IEndpointRouteBuilder MapComplaints(this IEndpointRouteBuilder routes) => routes.MapComplaintApi();

    private static bool TryPolicy(ComplaintOptions options)
    {
        try
        {
            options.Policy();
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or TimeZoneNotFoundException)
        {
            return false;
        }
    }

    private sealed class IdleComplaintService : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
