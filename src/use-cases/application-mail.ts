import nodemailer, { type Transporter } from 'nodemailer';
import type { Application } from './present/application.js';

/*
 * The email an applicant gets when a coordinator approves or declines its application (when
 * SMTP_URL is set). It goes once, just after the decision commits, without holding up the
 * coordinator's answer; a server that cannot be reached then means no email, and the failure
 * is logged. An applicant is not a member yet: there is nothing to unsubscribe from.
 */

export type ApplicationMail = {
  transport: Pick<Transporter, 'sendMail'>;
  from: string;
  /** Where people reach the service: the login link starts with it. */
  publicUrl: string;
  onError: (error: unknown) => void;
};

export function applicationMailer(mail: { smtpUrl: string; from: string; publicUrl: string }, onError: (error: unknown) => void): ApplicationMail {
  return { transport: nodemailer.createTransport(mail.smtpUrl), from: mail.from, publicUrl: mail.publicUrl, onError };
}

type TimebankNames = { name: string; slug: string };

/** The decision in words: the subject and the lines of the email. */
export function decisionMessage(application: Application, timebank: TimebankNames, publicUrl: string): { subject: string; lines: string[] } {
  if (application.status === 'approved') {
    return {
      subject: `Welcome to ${timebank.name}`,
      lines: [
        `Your application to join ${timebank.name} was approved: you are a member now.`,
        'Log in with this email and the password you chose when you applied:',
        `${publicUrl}/app/?timebank=${encodeURIComponent(timebank.slug)}`,
      ],
    };
  }
  return {
    subject: `Your application to ${timebank.name}`,
    lines: [
      `Your application to join ${timebank.name} was not accepted.`,
      ...(application.reason ? ['', `The coordinators wrote: ${application.reason}`] : []),
    ],
  };
}

/** Sends the decision to the applicant, in the background; nothing without a mailer. */
export function tellApplicant(mail: ApplicationMail | undefined, application: Application, timebank: TimebankNames): void {
  if (!mail || application.status === 'open') return;
  const { subject, lines } = decisionMessage(application, timebank, mail.publicUrl);
  const text = [`Hello ${application.displayName},`, '', ...lines, ''].join('\n');
  mail.transport
    .sendMail({ from: mail.from, to: { name: application.displayName, address: application.email }, subject, text })
    .catch(mail.onError);
}
