"""Seed 003's two multi-task distillation losses (a blog post's PyTorch code, kept verbatim, typos included), shared
by the parity cases (tests/Distill.Student.Tests/golden/make_multitask_cases.py) and the PyTorch side of
bench/multitask so both measure against exactly the same code: pixel-wise KL of softmax(t/T) vs log_softmax(s/T)
times T^2 for segmentation (Hinton et al. 2015), and the sum of MSEs over objectness, box and class times T for
detection."""
import torch.nn as nn
import torch.nn.functional as F


# ------------ seed 003, verbatim -------------#
def seg_logit_distill_loss(t_pred, s_pred, tempature = 2):
    KD = nn.KLDivLoss(reduction='mean')
    t_p = F.softmax(t_pred / tempature, dim=1)
    s_p = F.log_softmax(s_pred / tempature, dim=1)
    loss = KD(s_p, t_p) * (tempature ** 2)
    return loss


def det_logit_distill_loss(t_pred,s_pred,tempature=1):
    L2 = nn.MSELoss(reduction="none")
    t_lobj = L2(s_pred[..., 4], t_pred[..., 4]).mean()
    t_lBox = L2(s_pred[..., :4], t_pred[..., :4]).mean()
    t_lcls = L2(s_pred[..., 5:], t_pred[..., 5:]).mean()
    return (t_lobj + t_lBox + t_lcls) * tempature
# ---------------------------------------------#
