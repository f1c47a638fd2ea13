package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sigpool/sigpool/internal/pki"
)

// newCertCommand makes the certificates of a lab: one CA and a certificate
// per component, for the --tls-cert/--tls-key/--tls-ca flags.
func newCertCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Create a lab CA and component certificates for mutually authenticated TLS",
	}
	cmd.AddCommand(newCertCACommand(), newCertIssueCommand())
	return cmd
}

func newCertCACommand() *cobra.Command {
	var dir, name string
	var validity time.Duration
	c := &cobra.Command{
		Use:   "ca",
		Short: "Create a CA: DIR/ca.crt and DIR/ca.key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := pki.NewAuthority(name, validity)
			if err != nil {
				return err
			}
			cf, kf, err := pki.WriteFiles(dir, "ca", ca.CertPEM, ca.KeyPEM)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "CA %q: %s %s\n", name, cf, kf)
			return err
		},
	}
	c.Flags().StringVar(&dir, "dir", "certs", "directory to write ca.crt and ca.key into")
	c.Flags().StringVar(&name, "name", "sigpool lab CA", "CA common name")
	c.Flags().DurationVar(&validity, "validity", 365*24*time.Hour, "how long the CA is valid")
	return c
}

func newCertIssueCommand() *cobra.Command {
	var dir, caDir string
	var hosts []string
	var validity time.Duration
	c := &cobra.Command{
		Use:   "issue NAME",
		Short: "Issue DIR/NAME.crt and DIR/NAME.key, signed by the CA in --ca",
		Long: "Issue a certificate for one component (registrar, GWC, SG, PE or PU). NAME is its\n" +
			"identity: the certificate's common name, which authorization policies match.\n" +
			"--host adds the DNS names and IP addresses it is reached at (peers verify them).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
				return fmt.Errorf("certificate name %q: must not contain a path", name)
			}
			ca, err := pki.LoadAuthority(filepath.Join(caDir, "ca.crt"), filepath.Join(caDir, "ca.key"))
			if err != nil {
				return err
			}
			req := pki.Request{Name: name, Validity: validity}
			for _, h := range hosts {
				if ip := net.ParseIP(h); ip != nil {
					req.IPs = append(req.IPs, ip)
				} else {
					req.DNSNames = append(req.DNSNames, h)
				}
			}
			is, err := ca.Issue(req)
			if err != nil {
				return err
			}
			cf, kf, err := pki.WriteFiles(dir, name, is.CertPEM, is.KeyPEM)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %s %s\n", name, cf, kf)
			return err
		},
	}
	c.Flags().StringVar(&dir, "dir", "certs", "directory to write NAME.crt and NAME.key into")
	c.Flags().StringVar(&caDir, "ca", "certs", "directory holding ca.crt and ca.key")
	c.Flags().StringSliceVar(&hosts, "host", []string{"127.0.0.1", "localhost"}, "DNS names and IP addresses for the certificate (repeatable)")
	c.Flags().DurationVar(&validity, "validity", 90*24*time.Hour, "how long the certificate is valid (at most the CA's remaining life)")
	return c
}
