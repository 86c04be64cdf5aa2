using System.Threading.RateLimiting;
using CallCenter.Server.Hosting;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Channels;

/// <summary>Wires the non-phone channels: intake (SMS, e-mail, web form), agent replies, surveys and their report.</summary>
public static class ChannelExtensions
{
    public static IServiceCollection AddChannels(this IServiceCollection services)
    {
        services.AddOptions<ChannelOptions>().BindConfiguration(ChannelOptions.SectionName).ValidateDataAnnotations()
            .Validate(o =>
            {
                try { o.Policy(); return true; }
                catch (ArgumentException) { return false; }
            }, "Channels:Categories must have positive due times and include Channels:DefaultCategory.")
            .ValidateOnStart();
        // A channel's requests must sit in a text queue: in a phone queue they would be offered as calls, one per agent.
        services.AddOptions<ChannelOptions>().Validate<IOptions<Core.Routing.AcdOptions>>((o, acd) =>
            Enum.GetValues<Core.Channels.RequestChannel>().All(c => acd.Value.Queues.FirstOrDefault(q => q.Name == o.QueueOf(c)) is not { Media: Core.Routing.QueueMedia.Voice }),
            "Every channel's queue (Channels:Queues) must be an Acd queue with \"Media\": \"Text\".");
        services.AddScoped<ServiceRequestIntake>();
        services.AddScoped<SurveyService>();
        services.AddScoped<CallSurveys>();
        services.AddSingleton<ChannelRollups>();
        services.AddScoped<MmsMedia>();
        services.AddSingleton<MediaFetchSignal>();
        services.AddHostedService<MediaFetchWorker>();
        services.AddScoped<AttachmentStore>();
        services.AddSingleton<ISmsSender, TwilioSmsSender>();
        services.AddSingleton<IEmailSender, SmtpEmailSender>();
        services.AddRateLimiter(limiter => limiter.AddPolicy(IntakeApi.WebFormRateLimit, http =>
        {
            var web = http.RequestServices.GetRequiredService<IOptions<ChannelOptions>>().Value.Web;
            // Per client address: one sender cannot flood the queue, others are not affected.
            return RateLimitPartition.GetFixedWindowLimiter(RequestRateLimits.ClientAddress(http),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = web.PermitsPerWindow, Window = web.Window, QueueLimit = 0 });
        }));
        return services;
    }

    public static IEndpointRouteBuilder MapChannels(this IEndpointRouteBuilder routes)
    {
        routes.MapSmsWebhook();
        routes.MapIntakeApi();
        routes.MapAgentRequestApi();
        routes.MapSurveyApi();
        routes.MapChannelReportApi();
        return routes;
    }
}
