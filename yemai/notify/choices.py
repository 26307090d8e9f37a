from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")  # 企业微信群机器人
    DINGTALK = "dingtalk", _("DingTalk robot")  # 钉钉机器人
    SMS = "sms", _("SMS")  # 短信
    WEBHOOK = "webhook", _("Webhook")
    WEBPUSH = "webpush", _("Web push")  # 浏览器推送 (PWA)


# Kinds whose recipient is the channel itself (a group, an endpoint): notices waiting for one
# of them may be folded into a digest. SMS and web push reach one person each: never folded.
GROUP_KINDS = {ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.WEBHOOK}


class NoticeState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Gave up")


class SmsProviderKind(models.TextChoices):
    ALIYUN = "aliyun", _("Aliyun SMS")  # 阿里云短信
    TENCENT = "tencent", _("Tencent Cloud SMS")  # 腾讯云短信
